import ArgumentParser
import Foundation
import SQLKit
import Testing
import TernCore
import TernMemory
import TernStore

@testable import TernApp

/// `tern memory …` in-process against an SQLite file in a temporary data dir (no embedding
/// model configured: keyword recall only, as the status says).
@Suite(.timeLimit(.minutes(1))) struct MemoryCommandTests {
    let commands = AdminCommandTests()

    func write(_ files: [String: String]) throws -> String {
        let root = commands.dataDir + "/docs"
        for (path, text) in files {
            let url = URL(fileURLWithPath: root + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return root
    }

    func summary(_ paths: [String]) async throws -> MemoryCommand.IngestSummary {
        var result = MemoryCommand.IngestSummary()
        try await MemoryCommand.withMemory(try commands.options) { memory, _ in
            result = try await MemoryCommand.ingest(paths, into: .defaultContext, memory: memory)
        }
        return result
    }

    /// `--defer-index` is about PostgreSQL's vector index: refused on SQLite before anything is
    /// read or stored, and its build option needs it.
    @Test func deferIndex_onSQLite_isRefused_andIndexSaysThereIsNone() async throws {
        let root = try write(["a.md": "The coffee machine is on floor 3."])
        let refused = await commands.failure { try await commands.run(MemoryCommand.Ingest.self, ["default", root, "--defer-index"]) }
        #expect(refused == "--defer-index applies to PostgreSQL's vector index; SQLite keeps none")
        #expect(try await summary([root]).added == 1, "nothing was stored by the refused run")
        let orphan = await commands.failure {
            try await commands.run(MemoryCommand.Ingest.self, ["default", root, "--maintenance-memory", "1GB"])
        }
        #expect(orphan?.contains("--maintenance-memory applies to --defer-index's index build") == true)
        try await commands.run(MemoryCommand.Index.self, ["--rebuild"])
    }

    @Test func indexLines_nameWhatRecallCannotUse() {
        let lines = MemoryCommand.lines([
            MemoryVectorIndex(dimension: 384, name: "memories_embedding_hnsw_384", state: .ready, bytes: 2048, contexts: 2),
            MemoryVectorIndex(dimension: 768, name: "memories_embedding_hnsw_768", state: .missing, bytes: nil, contexts: 1),
        ])
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("DIMENSION") && lines[1].hasPrefix("384") && lines[2].contains("missing"))
        #expect(
            lines[3]
                == "warning: recall searches 768-dimension vectors exactly until memories_embedding_hnsw_768 is built: "
                + "tern memory index --rebuild")
        #expect(MemoryCommand.lines([]) == ["No embeddings stored yet, so no vector index."])
    }

    @Test func ingest_recursesDirectories_isIdempotent_andReplacesAChangedFile() async throws {
        let root = try write([
            "guide.md": "# Guide\n\nThe build runs on the blue runner.", "sub/notes.txt": "Backups run nightly at 02:00.",
            "sub/.hidden.md": "secret", "photo.png": "not text",
        ])
        let first = try await summary([root])
        #expect(first.added == 2)
        #expect(first.failed.isEmpty)
        #expect(try await summary([root]) == MemoryCommand.IngestSummary(unchanged: 2))
        try "Backups run nightly at 03:00.".write(toFile: root + "/sub/notes.txt", atomically: true, encoding: .utf8)
        let changed = try await summary([root])
        #expect(changed.replaced == 1 && changed.unchanged == 1)
        try await commands.withStores { stores in
            let documents = try await SQLMemoryStore(database: stores.database).documents(in: .defaultContext)
            #expect(documents.map(\.source) == [root + "/guide.md", root + "/sub/notes.txt"])
        }
        // The command itself, with its summary and audit entry.
        try await commands.run(MemoryCommand.Ingest.self, ["default", root])
        try await commands.withStores { stores in
            let entries = try await SQLAuditStore(database: stores.database).entries(AuditQuery(limit: 10))
            #expect(entries.entries.contains { $0.action == "memory.ingest" })
        }
    }

    /// Each file is stored in a transaction of its own, which leaves a full-text segment each;
    /// the command merges them when it is done (SQLite), and a failed merge is a warning.
    @Test func ingest_mergesTheKeywordIndex_andAFailedMergeIsAWarning() async throws {
        let root = try write(Dictionary(uniqueKeysWithValues: (0..<5).map { ("n\($0).md", "Note \($0) on topic \($0 * 7).") }))
        try await commands.run(MemoryCommand.Ingest.self, ["default", root])
        try await commands.withStores { stores in
            let segments = try await stores.database.read { db in
                try await db.raw("SELECT COUNT(DISTINCT segid) AS n FROM memories_fts_idx").first()?
                    .decode(column: "n", as: Int.self)
            }
            #expect(segments == 1)
            // On a database that can no longer write, the merge fails: a warning, not an error.
            let store = SQLMemoryStore(database: stores.database)
            try await stores.database.close()
            let lines = await MemoryCommand.afterLoad(store)
            #expect(lines.count == 1 && lines[0].hasPrefix("warning: merging the keyword index failed ("), "\(lines)")
        }
    }

    @Test func ingest_reportsMissingAndUnsupportedPaths_andRecallForgetWork() async throws {
        let root = try write(["a.md": "The coffee machine is on floor 3."])
        let result = try await summary([root + "/a.md", root + "/nope.md", root + "/a.pdf"])
        #expect(result.added == 1)
        #expect(result.skipped.count == 2)
        #expect(result.lines.first == "added 1, replaced 0, unchanged 0, skipped 2, failed 0 (1 chunks stored)")
        // A broken link in a directory is skipped and named, not read as a document.
        try FileManager.default.createSymbolicLink(atPath: root + "/gone.md", withDestinationPath: root + "/missing.md")
        let listed = try await summary([root])
        #expect(listed.unchanged == 1)
        #expect(listed.skipped == [root + "/gone.md: not found (a broken link, or removed while listing)"])
        var id = ""
        try await MemoryCommand.withMemory(try commands.options) { memory, _ in
            let hits = try await memory.recall("coffee machine", k: 5, in: .defaultContext)
            #expect(hits.count == 1)
            id = hits.first?.memory.id.rawValue ?? ""
            let status = MemoryCommand.lines(try await memory.status(in: .defaultContext))
            #expect(status.contains("recall: keyword only (no embedding model configured: set TERN_EMBEDDING_MODEL for vector recall)"))
        }
        try await commands.run(MemoryCommand.Forget.self, ["default", id])
        let again = await commands.failure { try await commands.run(MemoryCommand.Forget.self, ["default", id]) }
        #expect(again?.hasPrefix("not found") == true)
        let reembed = await commands.failure { try await commands.run(MemoryCommand.Reembed.self, ["default"]) }
        #expect(reembed?.contains("no embedding model is configured (set TERN_EMBEDDING_MODEL)") == true)
    }

    @Test func settings_changeAndRefuseBadValues() async throws {
        try await commands.run(MemoryCommand.Settings.self, ["default", "--k", "8", "--summarize", "true"])
        let bad = await commands.failure { try await commands.run(MemoryCommand.Settings.self, ["default", "--min-score", "2"]) }
        #expect(bad == "minimum_score must be between 0 and 1, got 2.0")
        try await commands.withStores { stores in
            let preferences = try await SQLMemoryStore(database: stores.database).settings(in: .defaultContext).preferences
            #expect(preferences.k == 8 && preferences.summarizeTurns && preferences.minimumScore == 0.3)
        }
    }
}
