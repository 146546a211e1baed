import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
import TernCore
import TernStore
import TernTesting

/// `/admin/api/v1/contexts/{id}/memory…` as `tern serve` wires it: idempotent ingestion, recall,
/// paging and forgetting, clear errors that store nothing, and who may reach a context's memory.
@Suite(.timeLimit(.minutes(2))) struct AdminMemoryAPITests {
    let admin = AdminAPITests()
    let base = "contexts/\(ContextID.defaultContext)/memory"

    func embeddingRequests(_ harness: Harness) -> Int {
        harness.fake?.recordedRequests().filter { $0.path.hasSuffix("/embeddings") }.count ?? 0
    }

    @Test func ingest_isIdempotent_replacesChangedText_andRecallListForgetWork() async throws {
        try await Harness.run(environment: ["TERN_EMBEDDING_MODEL": "fake-embed"]) { harness, client in
            let doc = ##"{"source": "notes/oncall.md", "text": "# On call\n\nThe pager rota changes on Tuesdays."}"##
            let added = try await admin.call(client, .post, "\(base)/documents", doc)
            #expect(added.status == .created)
            #expect(try json(added.body)["outcome"] as? String == "added")
            #expect(try json(added.body)["format"] as? String == "markdown")
            let embedded = embeddingRequests(harness)
            let again = try await admin.call(client, .post, "\(base)/documents", doc)
            #expect(again.status == .ok)
            #expect(try json(again.body)["outcome"] as? String == "unchanged")
            #expect(embeddingRequests(harness) == embedded)
            let changed = doc.replacingOccurrences(of: "Tuesdays", with: "Wednesdays")
            let replaced = try await admin.call(client, .post, "\(base)/documents", changed)
            #expect(try json(replaced.body)["outcome"] as? String == "replaced")
            #expect(try await harness.count("memories") == 1)
            #expect(try await harness.count("memory_documents") == 1)

            let recalled = try await admin.call(client, .get, "\(base)/recall?q=pager%20rota&k=3")
            #expect(recalled.status == .ok)
            let hits = try json(recalled.body)["data"] as? [[String: Any]] ?? []
            #expect(hits.count == 1)
            #expect(hits.first?["cited_as"] as? String == "notes/oncall.md")
            let memory = try #require(hits.first?["memory"] as? [String: Any])
            #expect((memory["text"] as? String)?.contains("Wednesdays") == true)
            let id = try #require(memory["id"] as? String)

            let page = try json(try await admin.call(client, .get, "\(base)?limit=1").body)
            #expect((page["data"] as? [[String: Any]])?.count == 1)
            #expect(try await admin.call(client, .delete, "\(base)/\(id)").status == .noContent)
            let gone = try await admin.call(client, .delete, "\(base)/\(id)")
            #expect(gone.status == .notFound)
            #expect(try await harness.count("memories") == 0)
            // Every change is in the audit log, like every admin change.
            let audited = try await harness.database.read { db in
                try await db.raw("SELECT action FROM audit_log ORDER BY at").all(decodingColumn: "action", as: String.self)
            }
            #expect(audited.filter { $0 == "POST contexts/{id}/memory/documents" }.count == 3)
            #expect(audited.contains("DELETE contexts/{id}/memory/{memory}"))
        }
    }

    @Test func badInput_isA400NamingTheField_tooLargeIs413_andNothingIsStored() async throws {
        try await Harness.run(llm: false) { harness, client in
            let cases: [(String, String, String)] = [
                (#"{"text": "x"}"#, "source", "'source' is required"),
                (#"{"source": "  ", "text": "x"}"#, "source", "'source' must be 1 to 500 characters"),
                (#"{"source": "a.md", "text": " \n "}"#, "text", "'text' is empty"),
                (#"{"source": "a.md", "text": "x", "format": "pdf"}"#, "format", "'format' must be one of markdown, text, html, source"),
                (#"{"source": "a.md", "text": "x", "tags": []}"#, "tags", "tags"),
                (#"{"source": "a.md", "text": 7}"#, "text", "'text' must be a string, got number"),
            ]
            for (body, param, message) in cases {
                let response = try await admin.call(client, .post, "\(base)/documents", body)
                #expect(response.status == .badRequest, "\(body)")
                let error = try errorBody(response.body)
                #expect((error["message"] as? String)?.contains(message) == true, "\(error)")
                #expect(error["param"] as? String == param, "\(body)")
            }
            for (query, param) in [("recall?q=", "q"), ("recall?q=x&k=0", "k"), ("recall?q=x&k=abc", "k")] {
                let response = try await admin.call(client, .get, "\(base)/\(query)")
                #expect(response.status == .badRequest, "\(query)")
                #expect(try errorBody(response.body)["param"] as? String == param)
            }
            let cursor = try await admin.call(client, .get, "\(base)?cursor=nonsense")
            #expect(try errorBody(cursor.body)["param"] as? String == "cursor")
            let settings = try await admin.call(client, .put, "\(base)/settings", #"{"k": 0, "minimum_score": 0.5}"#)
            #expect(settings.status == .badRequest)
            #expect(try errorBody(settings.body)["param"] as? String == "k")
            let huge = #"{"source": "big.txt", "text": "\#(String(repeating: "a", count: 70 * 1024))"}"#
            #expect(try await admin.call(client, .post, "\(base)/documents", huge).status == .contentTooLarge)
            let unknown = try await admin.call(client, .post, "contexts/no-such/memory/documents", #"{"source": "a", "text": "b"}"#)
            #expect(unknown.status == .notFound)
            #expect(try await admin.call(client, .delete, "\(base)/no-such-memory").status == .notFound)
            #expect(try await harness.count("memories") == 0)
            #expect(try await harness.count("memory_documents") == 0)
        }
    }

    @Test func ownerOfOneContext_cannotReachAnothers_membersAreRefused() async throws {
        try await Harness.run(llm: false) { harness, client in
            let teamA = try await harness.tenants.createContext(name: "team-a", kind: .shared, owner: nil)
            let teamB = try await harness.tenants.createContext(name: "team-b", kind: .shared, owner: nil)
            let (owner, _) = try await harness.tenants.provisionUser(email: "owner@example.com", displayName: "o", role: .user)
            let (member, _) = try await harness.tenants.provisionUser(email: "member@example.com", displayName: "m", role: .user)
            _ = try await harness.tenants.addMember(owner.id, to: teamA.id, role: .owner)
            _ = try await harness.tenants.addMember(member.id, to: teamA.id, role: .member)
            let ownerKey = try await harness.keys.createKey(for: owner.id, context: nil, name: "own").1
            let memberKey = try await harness.keys.createKey(for: member.id, context: nil, name: "own").1
            let doc = #"{"source": "a.md", "text": "Team A deploys from main."}"#
            let own = try await admin.call(client, .post, "contexts/\(teamA.id)/memory/documents", doc, bearer: ownerKey)
            #expect(own.status == .created)
            let other = try await admin.call(client, .post, "contexts/\(teamB.id)/memory/documents", doc, bearer: ownerKey)
            #expect(other.status == .forbidden)
            let recall = try await admin.call(client, .get, "contexts/\(teamB.id)/memory/recall?q=deploys", bearer: ownerKey)
            #expect(recall.status == .forbidden)
            let byMember = try await admin.call(client, .post, "contexts/\(teamA.id)/memory/documents", doc, bearer: memberKey)
            #expect(byMember.status == .forbidden)
            #expect(try await harness.count("memories") == 1)
        }
    }
}
