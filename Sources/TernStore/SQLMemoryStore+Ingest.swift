import Foundation
import SQLKit
package import TernCore

extension SQLMemoryStore {
    package func ingest(_ document: MemoryDocument, in context: ContextID) async throws -> MemoryIngestResult {
        try Self.validate(document)
        let embedding = try Self.commonEmbedding(document.chunks.compactMap(\.embedding))
        let newID = makeID()
        let rows = document.chunks.enumerated().map { index, chunk in
            NewRow(
                id: makeID(), text: chunk.text, source: document.source, metadata: document.metadata, documentID: newID,
                chunkIndex: index, embedding: chunk.embedding?.vector)
        }
        let now = clock.next()
        return try await mapMemoryErrors {
            try await changing(context) { [self] db in
                if let embedding { try await checkEmbedding(embedding, in: context, db, record: true) }
                // Claim the source (or find who has it), then hold its row to the end.
                try await db.raw(
                    """
                    INSERT INTO memory_documents (id, context_id, source, content_hash, chunk_count, created_at, updated_at)
                    VALUES (\(bind: newID), \(bind: context.rawValue), \(bind: document.source),
                    \(bind: document.contentHash), \(bind: rows.count), \(bind: now), \(bind: now))
                    ON CONFLICT (context_id, source) DO NOTHING
                    """
                ).run()
                let lock = database.dialect == .postgres ? " FOR UPDATE" : ""
                let stored = try await db.raw(
                    """
                    SELECT id, content_hash, chunk_count FROM memory_documents
                    WHERE context_id = \(bind: context.rawValue) AND source = \(bind: document.source)\(unsafeRaw: lock)
                    """
                ).first().unwrap("memory document \(document.source) vanished after insert")
                let storedID = try stored.decode(column: "id", as: String.self)
                if storedID == newID {
                    try await insert(rows, in: context, at: now, db)
                    return MemoryIngestResult(outcome: .added, documentID: MemoryDocumentID(newID), chunkCount: rows.count)
                }
                if try stored.decode(column: "content_hash", as: String.self) == document.contentHash {
                    return MemoryIngestResult(
                        outcome: .unchanged, documentID: MemoryDocumentID(storedID),
                        chunkCount: try stored.decode(column: "chunk_count", as: Int.self))
                }
                let removed = try await db.raw(
                    "DELETE FROM memories WHERE document_id = \(bind: storedID) RETURNING dimension"
                ).all()
                if try removed.contains(where: { try $0.decode(column: "dimension", as: Int?.self) != nil }) {
                    try await Self.bumpGeneration(of: context, db)
                }
                try await db.raw(
                    """
                    UPDATE memory_documents SET content_hash = \(bind: document.contentHash),
                    chunk_count = \(bind: rows.count), updated_at = \(bind: now) WHERE id = \(bind: storedID)
                    """
                ).run()
                let replacing = rows.map { row in
                    var row = row
                    row.documentID = storedID
                    return row
                }
                try await insert(replacing, in: context, at: now, db)
                return MemoryIngestResult(outcome: .replaced, documentID: MemoryDocumentID(storedID), chunkCount: rows.count)
            }
        }
    }

    package func documents(in context: ContextID) async throws -> [StoredMemoryDocument] {
        try await mapMemoryErrors {
            try await database.read { db in
                try await db.raw(
                    """
                    SELECT id, source, content_hash, chunk_count, updated_at FROM memory_documents
                    WHERE context_id = \(bind: context.rawValue) ORDER BY source
                    """
                ).all().map { row in
                    StoredMemoryDocument(
                        id: MemoryDocumentID(try row.decode(column: "id", as: String.self)),
                        source: try row.decode(column: "source", as: String.self),
                        contentHash: try row.decode(column: "content_hash", as: String.self),
                        chunkCount: try row.decode(column: "chunk_count", as: Int.self),
                        updatedAt: Date(microsecondsSince1970: try row.decode(column: "updated_at", as: Int64.self)))
                }
            }
        }
    }

    package func deleteDocument(source: String, in context: ContextID) async throws {
        try await mapMemoryErrors {
            try await changing(context) { db in
                let deleted = try await db.raw(
                    """
                    DELETE FROM memory_documents WHERE context_id = \(bind: context.rawValue) AND source = \(bind: source)
                    RETURNING id
                    """
                ).first()
                if deleted == nil { throw StoreError.notFound("memory document \(source)") }
                try await Self.bumpGeneration(of: context, db)
            }
        }
    }

    static func validate(_ document: MemoryDocument) throws {
        if document.source.allSatisfy(\.isWhitespace) { throw StoreError.invalid("document source is empty") }
        if document.contentHash.isEmpty { throw StoreError.invalid("document \(document.source) has no content hash") }
        if document.chunks.isEmpty { throw StoreError.invalid("document \(document.source) has no chunks") }
        if let index = document.chunks.firstIndex(where: { $0.text.allSatisfy(\.isWhitespace) }) {
            throw StoreError.invalid("chunk \(index) of document \(document.source) is empty")
        }
    }
}
