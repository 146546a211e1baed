import Foundation
import SQLKit
import TernCore

/// Re-seals every sealed value at rest (credentials, MCP server secret env and headers) under
/// the box's current key, one row at a time, each row's write conditional on the row being
/// unchanged since it was read (a value set meanwhile is never overwritten with an old one).
/// A value that does not open is reported, never written or shown.
package struct SecretsRotation: Sendable {
    /// One value that could not be re-sealed, and why (no value in either).
    package struct Failure: Sendable, Equatable, CustomStringConvertible {
        package var what: String
        package var why: String
        package var description: String { "\(what): \(why)" }
    }

    /// What a rotation did.
    package struct Report: Sendable, Equatable {
        /// Values now sealed under the current key that were not before.
        package var resealed = 0
        /// Values that already were.
        package var alreadyCurrent = 0
        package var failed: [Failure] = []

        package init(resealed: Int = 0, alreadyCurrent: Int = 0, failed: [Failure] = []) {
            self.resealed = resealed
            self.alreadyCurrent = alreadyCurrent
            self.failed = failed
        }
    }

    let database: any DatabaseHandle
    let box: AESGCMSecretBox
    private let credentials: SQLCredentialStore

    package init(database: any DatabaseHandle, box: AESGCMSecretBox) {
        self.database = database
        self.box = box
        credentials = SQLCredentialStore(database: database)
    }

    /// Re-seals everything; `progress(done, total)` is called after each row (credentials and
    /// MCP servers count one row each).
    package func run(progress: (Int, Int) -> Void = { _, _ in }) async throws -> Report {
        let stored = try await credentials.allSealed()
        let servers = try await mcpRows()
        let total = stored.count + servers.count
        var report = Report()
        var done = 0
        for credential in stored {
            let place = CredentialVault.secretContext(context: credential.credential.contextID, name: credential.credential.name)
            let what = "credential '\(credential.credential.name)' of context \(credential.credential.contextID)"
            if let new = reseal(credential.sealed, place: place, what: what, into: &report) {
                let written = try await credentials.reseal(
                    named: credential.credential.name, in: credential.credential.contextID, from: credential.sealed, to: new)
                if written { report.resealed += 1 } else { report.failed.append(Self.changed(what)) }
            }
            done += 1
            progress(done, total)
        }
        for server in servers {
            try await rotate(server, into: &report)
            done += 1
            progress(done, total)
        }
        return report
    }

    /// Every sealed value whose key this server does not have: what `tern serve` refuses to
    /// start with, and what `tern secrets rotate` cannot re-seal.
    package func unopenable() async throws -> [Failure] {
        var failures: [Failure] = []
        for credential in try await credentials.allSealed() where !box.hasKey(credential.sealed.keyID) {
            failures.append(
                Failure(
                    what: "credential '\(credential.credential.name)' of context \(credential.credential.contextID)",
                    why: SecretBoxError.unknownKey(credential.sealed.keyID).description))
        }
        for server in try await mcpRows() {
            for (field, variable) in server.sealed where !box.hasKey(variable.sealed.keyID) {
                failures.append(
                    Failure(what: server.label(field, variable.name), why: SecretBoxError.unknownKey(variable.sealed.keyID).description))
            }
        }
        return failures
    }

    /// `sealed` under the current key, or `nil` when it already is or does not open (counted).
    func reseal(_ sealed: SealedSecret, place: String, what: String, into report: inout Report) -> SealedSecret? {
        if sealed.keyID == box.currentKeyID {
            report.alreadyCurrent += 1
            return nil
        }
        do {
            return try box.seal(try box.open(sealed, context: place), context: place)
        } catch {
            report.failed.append(Failure(what: what, why: error.description))
            return nil
        }
    }

    static func changed(_ what: String) -> Failure {
        Failure(what: what, why: "changed while rotating; run `tern secrets rotate` again")
    }
}
