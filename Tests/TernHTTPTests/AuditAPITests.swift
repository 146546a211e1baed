import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
import TernCore
import TernStore

/// The audit log through the real router: every admin change writes one entry, a credential's
/// value never reaches it, `GET /admin/api/v1/audit` filters and pages, owners see their contexts only.
@Suite(.timeLimit(.minutes(1))) struct AuditAPITests {
    let admin = AdminAPITests()
    static let secret = "ghp_never-in-the-audit-log"

    /// The middleware reads the body before the handler: one over the handlers' 64 KiB is a 413
    /// naming it (it used to be swallowed, leaving the handler a body read part-way: an
    /// assertion in debug builds, an empty body and a misleading 400 in release).
    @Test func oversizedAdminBody_is413_andChangesNothing() async throws {
        try await Harness.run(llm: false) { harness, client in
            let name = String(repeating: "x", count: 70 * 1024)
            let response = try await admin.call(client, .post, "contexts", #"{"name": "\#(name)"}"#)
            #expect(response.status == .contentTooLarge)
            #expect(try errorBody(response.body)["code"] as? String == "request_too_large")
            #expect(try await harness.count("contexts") == 1)
            #expect(try await harness.count("audit_log") == 0)
        }
    }

    @Test func changes_areAudited_withTheCredentialValueMasked_everywhere() async throws {
        try await Harness.run(llm: false) { harness, client in
            let path = "contexts/\(ContextID.defaultContext)/credentials/GITHUB_TOKEN"
            #expect(try await admin.call(client, .put, path, #"{"value": "\#(Self.secret)"}"#).status == .created)
            #expect(try await admin.call(client, .post, "contexts", #"{"name": "team"}"#).status == .created)
            #expect(try await admin.call(client, .get, "contexts").status == .ok)  // reads are not audited
            let listed = try await admin.call(client, .get, "audit")
            #expect(listed.status == .ok)
            let data = try #require(try json(listed.body)["data"] as? [[String: Any]])
            #expect(data.map { $0["action"] as? String } == ["POST contexts", "PUT contexts/{id}/credentials/{name}"])
            let credential = try #require(data.last)
            #expect(credential["object_type"] as? String == "credential")
            #expect(credential["object_id"] as? String == "GITHUB_TOKEN")
            #expect(credential["context_id"] as? String == ContextID.defaultContext.rawValue)
            #expect(credential["actor"] as? String == UserID.localUser.rawValue)
            #expect(credential["via"] as? String == "api")
            #expect((credential["after"] as? [String: Any])?["value"] as? String == "***")
            #expect(!String(buffer: listed.body).contains("never-in-the-audit-log"))
            let raw = try await harness.database.read { db in try await db.raw("SELECT * FROM audit_log").all() }
            #expect(raw.count == 2)
            for row in raw {
                for column in row.allColumns {
                    let text = (try? row.decode(column: column, as: String.self)) ?? ""  // non-text columns hold no value
                    #expect(!text.contains("never-in-the-audit-log"))
                }
            }
            let filtered = try await admin.call(client, .get, "audit?object=credential:GITHUB_TOKEN&limit=1")
            #expect((try json(filtered.body)["data"] as? [[String: Any]])?.count == 1)
            let bad = try await admin.call(client, .get, "audit?cursor=nonsense")
            #expect(bad.status == .badRequest)
            #expect(try errorBody(bad.body)["message"] as? String == "'cursor' is not a cursor this server gave out: nonsense")
        }
    }
}
