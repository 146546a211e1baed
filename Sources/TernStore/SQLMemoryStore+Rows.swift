import Crypto
import Foundation
import SQLKit
import TernCore

extension SQLMemoryStore {
    /// The columns ``decode(_:)`` reads.
    static let columns =
        "id, text, source, metadata_json, document_id, chunk_index, dimension, created_at"

    /// A row about to be inserted.
    struct NewRow: Sendable {
        var id: String
        var text: String
        var source: String
        var metadata: JSONValue?
        var documentID: String?
        var chunkIndex: Int?
        var embedding: [Float]?
    }

    /// Rows per INSERT statement (11 parameters each; well under either database's limit).
    static let insertBatch = 200

    /// Inserts `rows` into `memories` of `context`, a batch per statement.
    func insert(_ rows: [NewRow], in context: ContextID, at time: Int64, _ db: any SQLDatabase) async throws {
        let dialect = database.dialect
        for start in stride(from: 0, to: rows.count, by: Self.insertBatch) {
            var insert = db.insert(into: "memories").columns(
                "id", "context_id", "document_id", "chunk_index", "text", "source", "metadata_json", "content_hash",
                "dimension", "embedding", "created_at")
            for row in rows[start..<min(rows.count, start + Self.insertBatch)] {
                insert = insert.values([
                    SQLBind(row.id), SQLBind(context.rawValue), SQLBind(row.documentID), SQLBind(row.chunkIndex),
                    SQLBind(row.text), SQLBind(row.source), SQLBind(row.metadata?.jsonText),
                    SQLBind(Self.contentHash(row.text)), SQLBind(row.embedding?.count),
                    Self.embeddingValue(row.embedding, dialect: dialect), SQLBind(time),
                ])
            }
            try await insert.run()
        }
    }

    /// An embedding as the dialect stores it: a float32 BLOB, or a pgvector literal cast to `vector`.
    static func embeddingValue(_ vector: [Float]?, dialect: SQLDialectKind) -> any SQLExpression {
        guard let vector else { return SQLLiteral.null }
        switch dialect {
        case .sqlite: return SQLBind(MemoryVectorMath.encode(vector))
        case .postgres: return SQLQueryString("\(bind: PostgresMemoryVectors.literal(vector))::vector")
        }
    }

    /// The SHA-256 of `text` in hex: the embedding cache's key.
    static func contentHash(_ text: String) -> String {
        lowercaseHex(SHA256.hash(data: Data(text.utf8)))
    }

    /// ` AND …` conditions for `filter` on columns of `table` (empty for no filter).
    static func filterSQL(_ filter: MemoryFilter, table: String) -> SQLQueryString {
        var sql: SQLQueryString = ""
        if let prefix = filter.sourcePrefix, !prefix.isEmpty {
            sql += " AND substr(\(unsafeRaw: table).source, 1, \(literal: prefix.unicodeScalars.count)) = \(bind: prefix)"
        }
        switch filter.kind {
        case .facts: sql += " AND \(unsafeRaw: table).document_id IS NULL"
        case .documents: sql += " AND \(unsafeRaw: table).document_id IS NOT NULL"
        case nil: break
        }
        return sql
    }

    static func decode(_ row: any SQLRow) throws -> StoredMemory {
        let metadata: JSONValue? = try row.decode(column: "metadata_json", as: String?.self).map { text in
            do {
                return try JSONValue(jsonText: text)
            } catch {
                throw StoreError.database("memories.metadata_json is not valid JSON (\(error))")
            }
        }
        return StoredMemory(
            id: MemoryID(try row.decode(column: "id", as: String.self)),
            text: try row.decode(column: "text", as: String.self),
            source: try row.decode(column: "source", as: String.self),
            metadata: metadata,
            documentID: try row.decode(column: "document_id", as: String?.self).map { MemoryDocumentID($0) },
            chunkIndex: try row.decode(column: "chunk_index", as: Int?.self),
            hasEmbedding: try row.decode(column: "dimension", as: Int?.self) != nil,
            createdAt: Date(microsecondsSince1970: try row.decode(column: "created_at", as: Int64.self)))
    }

    /// Marks the context's stored vectors as changed other than by appending (see
    /// ``SQLiteMemoryVectorIndex``).
    static func bumpGeneration(of context: ContextID, _ db: any SQLDatabase) async throws {
        try await db.raw(
            """
            UPDATE memory_settings SET embedding_generation = embedding_generation + 1
            WHERE context_id = \(bind: context.rawValue)
            """
        ).run()
    }

    /// ``mapErrors(_:)`` letting ``MemoryError``s through as they are.
    func mapMemoryErrors<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as MemoryError {
            throw error
        } catch {
            return try await mapErrors { throw error }
        }
    }

    static func validate(text: String, source: String) throws {
        if text.allSatisfy(\.isWhitespace) { throw StoreError.invalid("memory text is empty") }
        if source.allSatisfy(\.isWhitespace) { throw StoreError.invalid("memory source is empty") }
    }

    static func validate(_ embedding: MemoryEmbedding) throws {
        if let problem = MemoryVectorMath.problem(with: embedding.vector) { throw StoreError.invalid(problem) }
        if embedding.model.isEmpty { throw StoreError.invalid("embedding model name is empty") }
    }
}
