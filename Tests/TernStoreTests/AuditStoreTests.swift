import Foundation
import Testing
import TernCore
import TernStore

/// The audit log on SQLite and PostgreSQL: newest first in keyset pages, filters, owners' view
/// limited to their contexts, secrets masked before they are stored.
@Suite(.timeLimit(.minutes(1))) struct AuditStoreTests {
    static let start = Date(timeIntervalSince1970: 1_700_000_000)

    func entry(_ n: Int, actor: String = "u1", type: String = "context", context: ContextID? = .defaultContext) -> AuditEntry {
        AuditEntry(
            id: String(format: "id-%03d", n), at: Self.start.addingTimeInterval(Double(n / 2)),
            actor: AuditActor(actor: actor, via: .api, from: "10.0.0.1"), action: "PATCH contexts/{id}", objectType: type,
            objectID: "o\(n)", contextID: context, after: ["name": .string("n\(n)")])
    }

    @Test(arguments: SQLBackend.allCases)
    func pages_areNewestFirst_andWalkEveryEntryOnce(_ backend: SQLBackend) async throws {
        try await backend.withStore({ SQLAuditStore(database: $0) }) { store, _ in
            for n in 0..<7 { try await store.record(entry(n)) }  // pairs share a timestamp: ties broken by id
            var seen: [String] = []
            var cursor: AuditCursor?
            repeat {
                let page = try await store.entries(AuditQuery(cursor: cursor, limit: 3))
                seen += page.entries.map(\.id)
                cursor = page.next
            } while cursor != nil
            #expect(seen == (0..<7).reversed().map { String(format: "id-%03d", $0) })
            let first = try #require(try await store.entries(AuditQuery(limit: 1)).entries.first)
            #expect(first == entry(6))
        }
    }

    @Test(arguments: SQLBackend.allCases)
    func filters_byActorObjectContextAndTime(_ backend: SQLBackend) async throws {
        try await backend.withStore({ SQLAuditStore(database: $0) }) { store, _ in
            try await store.record(entry(1, actor: "ann"))
            try await store.record(entry(2, actor: "bob", type: "credential", context: SQLBackend.contextB))
            try await store.record(entry(4, actor: "ann", type: "user", context: nil))
            #expect(try await store.entries(AuditQuery(actor: "ann")).entries.map(\.id) == ["id-004", "id-001"])
            #expect(try await store.entries(AuditQuery(objectType: "credential")).entries.map(\.id) == ["id-002"])
            #expect(try await store.entries(AuditQuery(objectType: "context", objectID: "o1")).entries.map(\.id) == ["id-001"])
            #expect(try await store.entries(AuditQuery(contexts: [.defaultContext])).entries.map(\.id) == ["id-001"])
            #expect(try await store.entries(AuditQuery(contexts: [])).entries.isEmpty)
            let window = AuditQuery(since: Self.start.addingTimeInterval(1), until: Self.start.addingTimeInterval(2))
            #expect(try await store.entries(window).entries.map(\.id) == ["id-002"])
        }
    }

    @Test func mask_hidesSecretValuesAtAnyDepth_keepsTheRest() {
        let masked = AuditMask.masked([
            "value": "ghp_secret", "name": "TOKEN", "key_id": "ab12",
            "secret_env": ["GITHUB_TOKEN": "ghp_secret"], "env": ["LEVEL": "debug"],
            "nested": [["api_key": "k", "password": "p", "id": "x"]],
        ])
        #expect(!masked.jsonText.contains("ghp_secret") && !masked.jsonText.contains("\"k\"") && !masked.jsonText.contains("\"p\""))
        #expect(masked["name"] == "TOKEN" && masked["key_id"] == "ab12" && masked["env"]?["LEVEL"] == "debug")
        #expect(masked["value"] == AuditMask.mask && masked["secret_env"] == AuditMask.mask)
    }

    @Test func mask_keepsOnlyTheLengthOfALongText() {
        let document = String(repeating: "Quarterly numbers, do not share. ", count: 100)
        let masked = AuditMask.masked(["text": .string(document), "source": "q3.md", "tags": [.string(document)]])
        #expect(!masked.jsonText.contains("do not share"))
        #expect(masked["text"] == .string("(\(document.count) characters, not kept)"))
        #expect(masked["source"] == "q3.md")
        let short = String(repeating: "a", count: AuditMask.longestText)
        #expect(AuditMask.masked(["text": .string(short)])["text"] == .string(short))
    }
}
