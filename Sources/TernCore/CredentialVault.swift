import Foundation

/// Why a credential could not be stored or used. Messages never contain a value.
package enum CredentialError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A `${cred:NAME}` reference names a credential the context does not have.
    case missing(name: String, context: ContextID)
    /// A `${cred:…}` reference is not closed or its name is invalid.
    case malformedReference(String)
    /// The stored value does not open (key rotated away, row tampered with or moved).
    case unreadable(name: String, context: ContextID, SecretBoxError)

    package var description: String {
        switch self {
        case .missing(let name, let context):
            "credential '\(name)' is not set in context \(context) (set it with `tern credentials set`)"
        case .malformedReference(let why): "bad credential reference: \(why)"
        case .unreadable(let name, let context, let error):
            "credential '\(name)' of context \(context) cannot be opened: \(error)"
        }
    }
}

/// Sets, lists, deletes and opens credentials: the one place their values are sealed and
/// opened. A value is sealed with the ``SecretBox`` to its place (``secretContext(context:name:)``),
/// so a sealed value copied to another context or name does not open there.
package struct CredentialVault: Sendable {
    /// The longest value accepted, in bytes of UTF-8.
    package static let maxValueBytes = 64 * 1024

    package let store: any CredentialStore
    private let box: any SecretBox

    package init(store: any CredentialStore, box: any SecretBox) {
        self.store = store
        self.box = box
    }

    /// What a value is sealed to: `credentials/<context id>/<name>`.
    package static func secretContext(context: ContextID, name: String) -> String {
        "credentials/\(context.rawValue)/\(name)"
    }

    /// Seals and stores `value` as credential `name` of `context` (created or replaced).
    /// - Throws: ``StoreError/invalid(_:)`` for a bad name or an empty or oversized value (the
    ///   message never shows the value), ``StoreError/notFound(_:)`` for an unknown context.
    package func set(_ value: String, named name: String, in context: ContextID, by user: UserID?) async throws
        -> (credential: Credential, created: Bool)
    {
        if let problem = CredentialName.problem(with: name) { throw StoreError.invalid(problem) }
        if value.isEmpty { throw StoreError.invalid("the value of credential '\(name)' is empty") }
        if value.utf8.count > Self.maxValueBytes {
            throw StoreError.invalid(
                "the value of credential '\(name)' is \(value.utf8.count) bytes; at most \(Self.maxValueBytes) are accepted")
        }
        if value.contains("\u{0}") { throw StoreError.invalid("the value of credential '\(name)' contains a NUL character") }
        let sealed = try box.seal(value, context: Self.secretContext(context: context, name: name))
        return try await store.put(named: name, sealed: sealed, by: user, in: context)
    }

    /// The context's credentials, without values.
    package func list(in context: ContextID) async throws -> [Credential] {
        try await store.credentials(in: context)
    }

    /// The credentials of each of `contexts`, without values, in one read of the store.
    package func list(in contexts: Set<ContextID>) async throws -> [ContextID: [Credential]] {
        try await store.credentials(in: contexts)
    }

    /// Deletes credential `name`. - Throws: ``StoreError/notFound(_:)`` when there is none.
    package func delete(named name: String, in context: ContextID) async throws {
        try await store.delete(named: name, in: context)
    }

    /// The opened value of credential `name` in `context`, for resolving references.
    /// - Throws: ``CredentialError/missing(name:context:)`` or ``CredentialError/unreadable(name:context:_:)``.
    package func value(named name: String, in context: ContextID) async throws -> String {
        guard let stored = try await store.sealedCredential(named: name, in: context) else {
            throw CredentialError.missing(name: name, context: context)
        }
        do {
            return try box.open(stored.sealed, context: Self.secretContext(context: context, name: name))
        } catch {
            throw CredentialError.unreadable(name: name, context: context, error)
        }
    }

    /// `text` with every `${cred:NAME}` replaced by the value of credential NAME of `context`.
    /// - Throws: ``CredentialError`` for a malformed reference or a credential that is missing
    ///   or does not open.
    package func resolve(_ text: String, in context: ContextID) async throws -> String {
        let pieces = try CredentialReference.parse(text)
        guard pieces.contains(where: { if case .reference = $0 { true } else { false } }) else { return text }
        var result = ""
        for piece in pieces {
            switch piece {
            case .text(let plain): result += plain
            case .reference(let name): result += try await value(named: name, in: context)
            }
        }
        return result
    }
}
