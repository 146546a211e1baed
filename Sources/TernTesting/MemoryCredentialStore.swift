import Foundation
import Synchronization
package import TernCore

/// An in-memory ``CredentialStore`` with the SQL store's rules (names validated, put replaces
/// keeping the created fields, deleting a missing credential is ``StoreError/notFound(_:)``,
/// reseal compares first). It does not know which contexts exist, so it accepts any context ID.
package final class MemoryCredentialStore: CredentialStore {
    private struct Key: Hashable {
        var context: ContextID
        var name: String
    }

    private let state = Mutex<[Key: SealedCredential]>([:])
    private let clock: any WallClock

    package init(clock: any WallClock = SystemWallClock()) {
        self.clock = clock
    }

    package func credentials(in context: ContextID) async throws -> [Credential] {
        state.withLock { state in
            state.values.filter { $0.credential.contextID == context }.map(\.credential)
                .sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        }
    }

    package func credentials(in contexts: Set<ContextID>) async throws -> [ContextID: [Credential]] {
        state.withLock { state in
            Dictionary(grouping: state.values.map(\.credential).filter { contexts.contains($0.contextID) }, by: \.contextID)
                .mapValues { $0.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) } }
        }
    }

    package func sealedCredential(named name: String, in context: ContextID) async throws -> SealedCredential? {
        state.withLock { $0[Key(context: context, name: name)] }
    }

    package func put(named name: String, sealed: SealedSecret, by user: UserID?, in context: ContextID) async throws
        -> (credential: Credential, created: Bool)
    {
        if let problem = CredentialName.problem(with: name) { throw StoreError.invalid(problem) }
        let now = clock.now()
        return state.withLock { state in
            let key = Key(context: context, name: name)
            var credential =
                state[key]?.credential
                ?? Credential(contextID: context, name: name, keyID: sealed.keyID, createdAt: now, updatedAt: now, createdBy: user)
            let created = state[key] == nil
            credential.keyID = sealed.keyID
            credential.updatedAt = now
            state[key] = SealedCredential(credential: credential, sealed: sealed)
            return (credential, created)
        }
    }

    package func delete(named name: String, in context: ContextID) async throws {
        try state.withLock { state in
            guard state.removeValue(forKey: Key(context: context, name: name)) != nil else {
                throw StoreError.notFound("credential '\(name)'")
            }
        }
    }

    package func allSealed() async throws -> [SealedCredential] {
        state.withLock { state in
            state.values.sorted {
                ($0.credential.contextID.rawValue, $0.credential.name) < ($1.credential.contextID.rawValue, $1.credential.name)
            }
        }
    }

    package func reseal(named name: String, in context: ContextID, from expected: SealedSecret, to new: SealedSecret)
        async throws -> Bool
    {
        state.withLock { state in
            let key = Key(context: context, name: name)
            guard var stored = state[key], stored.sealed == expected else { return false }
            stored.sealed = new
            stored.credential.keyID = new.keyID
            state[key] = stored
            return true
        }
    }
}
