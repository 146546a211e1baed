package import Foundation

/// A context's named secret as it is listed: everything but the value, which is write-only.
package struct Credential: Sendable, Equatable, Codable {
    /// The context the credential belongs to; references resolve only there.
    package var contextID: ContextID
    /// What `${cred:NAME}` references name (see ``CredentialName``).
    package var name: String
    /// The key the value is sealed under (``SealedSecret/keyID``), for rotation reports.
    package var keyID: String
    package var createdAt: Date
    package var updatedAt: Date
    /// Who stored it first; `nil` for the CLI's local user or a deleted user.
    package var createdBy: UserID?

    package init(
        contextID: ContextID, name: String, keyID: String, createdAt: Date, updatedAt: Date, createdBy: UserID?
    ) {
        self.contextID = contextID
        self.name = name
        self.keyID = keyID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.createdBy = createdBy
    }
}

/// A credential with its sealed value, as the store keeps it.
package struct SealedCredential: Sendable, Equatable {
    package var credential: Credential
    package var sealed: SealedSecret

    package init(credential: Credential, sealed: SealedSecret) {
        self.credential = credential
        self.sealed = sealed
    }
}

/// Credential names are what `${cred:NAME}` references type: 1 to 64 characters, ASCII letters,
/// digits, `_`, `-` and `.`, starting with a letter or `_` (so most environment variable names
/// work as they are).
package enum CredentialName {
    /// Why `name` is not a valid credential name, or `nil` when it is.
    package static func problem(with name: String) -> String? {
        if name.isEmpty || name.utf8.count > 64 { return "a credential name must be 1 to 64 characters" }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
        guard name.allSatisfy(allowed.contains) else {
            return "a credential name may contain only ASCII letters, digits, '_', '-' and '.'; got \"\(name)\""
        }
        guard let first = name.first, first.isLetter || first == "_" else {
            return "a credential name must start with a letter or '_'; got \"\(name)\""
        }
        return nil
    }
}

/// Stores each context's credentials, values sealed (see ``CredentialVault``, which seals and
/// opens them). Every call is scoped by context, so another context's credential reads as absent.
package protocol CredentialStore: Sendable {
    /// The context's credentials, by name (bytes order).
    func credentials(in context: ContextID) async throws -> [Credential]
    /// The credentials of each of `contexts` in one read (a page that lists many contexts),
    /// each context's by name (bytes order); a context without credentials has no entry, and
    /// an empty set reads nothing.
    func credentials(in contexts: Set<ContextID>) async throws -> [ContextID: [Credential]]
    /// One credential with its sealed value, or `nil` when the context has none of that name.
    func sealedCredential(named name: String, in context: ContextID) async throws -> SealedCredential?
    /// Stores `sealed` as the value of `name`, creating the credential or replacing its value
    /// (`createdAt`/`createdBy` kept); returns it and whether it was created.
    /// - Throws: ``StoreError/notFound(_:)`` for an unknown context.
    func put(named name: String, sealed: SealedSecret, by user: UserID?, in context: ContextID) async throws
        -> (credential: Credential, created: Bool)
    /// Deletes a credential. - Throws: ``StoreError/notFound(_:)`` when there is none of that name.
    func delete(named name: String, in context: ContextID) async throws
    /// Every credential of every context, for key rotation (`tern secrets rotate`).
    func allSealed() async throws -> [SealedCredential]
    /// Replaces the sealed value only while it is still `expected` (so a value set meanwhile is
    /// never overwritten); returns whether it did. `updatedAt` is kept: the value is the same.
    func reseal(named name: String, in context: ContextID, from expected: SealedSecret, to new: SealedSecret)
        async throws -> Bool
}
