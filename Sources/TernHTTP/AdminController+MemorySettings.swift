import Foundation
import Hummingbird
import TernCore
import TernMemory

/// `contexts/{id}/memory/settings` and how memory looks in the admin API.
extension AdminController {
    /// `GET contexts/{id}/memory/settings`: preferences, counts and how recall works here.
    @Sendable func memoryStatus(_ request: Request, context: TernRequestContext) async throws -> Response {
        let (memory, id) = try await memoryScope(context)
        return try json(.ok, MemoryJSON.status(try await memory.status(in: id)))
    }

    /// `PUT contexts/{id}/memory/settings` with any of `enabled`, `k`, `minimum_score`,
    /// `summarize_turns`; the others keep their values. 400 names each bad field.
    @Sendable func putMemorySettings(_ request: Request, context: TernRequestContext) async throws -> Response {
        let (memory, id) = try await memoryScope(context)
        let body = try await JSONBody.read(request, context: context)
        try body.rejectUnknownKeys(allowed: ["enabled", "k", "minimum_score", "summarize_turns"])
        var preferences = try await memory.store.settings(in: id).preferences
        if let enabled = try Self.bool(body, "enabled") { preferences.enabled = enabled }
        if let summarize = try Self.bool(body, "summarize_turns") { preferences.summarizeTurns = summarize }
        if let k = body.fields["k"], k != .null {
            guard case .number(let number) = k, number.rounded() == number, abs(number) < 1e9 else {
                throw APIError.invalid("'k' must be a whole number, got \(k.typeName)", param: "k")
            }
            preferences.k = Int(number)
        }
        if let score = body.fields["minimum_score"], score != .null {
            guard case .number(let number) = score else {
                throw APIError.invalid("'minimum_score' must be a number, got \(score.typeName)", param: "minimum_score")
            }
            preferences.minimumScore = number
        }
        if let problem = preferences.problems.first {
            throw APIError.invalid(problem, param: problem.hasPrefix("k ") ? "k" : "minimum_score")
        }
        try await memory.setPreferences(preferences, in: id)
        return try json(.ok, MemoryJSON.status(try await memory.status(in: id)))
    }

    static func bool(_ body: JSONBody, _ key: String) throws -> Bool? {
        guard let value = body.fields[key], value != .null else { return nil }
        guard case .bool(let flag) = value else {
            throw APIError.invalid("'\(key)' must be true or false, got \(value.typeName)", param: key)
        }
        return flag
    }
}

/// How memory looks in the admin API.
enum MemoryJSON {
    static func memory(_ memory: StoredMemory) -> JSONValue {
        .object([
            "id": .string(memory.id.rawValue), "text": .string(memory.text), "source": .string(memory.source),
            "kind": .string(memory.documentID == nil ? "fact" : "document"),
            "chunk_index": memory.chunkIndex.map { .number(Double($0)) } ?? .null,
            "has_embedding": .bool(memory.hasEmbedding), "metadata": memory.metadata ?? .null,
            "created_at": AdminJSON.time(memory.createdAt),
        ])
    }

    static func hit(_ hit: MemoryHit) -> JSONValue {
        .object([
            "memory": memory(hit.memory), "cited_as": .string(TurnMemory.source(of: hit.memory)), "score": .number(hit.score),
            "keyword_rank": hit.keywordRank.map { .number(Double($0)) } ?? .null,
            "vector_rank": hit.vectorRank.map { .number(Double($0)) } ?? .null,
            "similarity": hit.similarity.map(JSONValue.number) ?? .null,
        ])
    }

    static func document(_ document: StoredMemoryDocument) -> JSONValue {
        .object([
            "id": .string(document.id.rawValue), "source": .string(document.source),
            "content_hash": .string(document.contentHash), "chunks": .number(Double(document.chunkCount)),
            "updated_at": AdminJSON.time(document.updatedAt),
        ])
    }

    static func report(_ report: MemoryService.IngestReport, format: DocumentFormat) -> JSONValue {
        .object([
            "source": .string(report.source), "format": .string(format.rawValue), "outcome": .string(report.outcome.rawValue),
            "chunks": .number(Double(report.chunkCount)), "unembedded": .number(Double(report.unembedded)),
            "embedding_problem": report.embeddingProblem.map(JSONValue.string) ?? .null,
        ])
    }

    static func status(_ status: MemoryService.Status) -> JSONValue {
        let preferences = status.settings.preferences
        return .object([
            "enabled": .bool(preferences.enabled), "k": .number(Double(preferences.k)),
            "minimum_score": .number(preferences.minimumScore), "summarize_turns": .bool(preferences.summarizeTurns),
            "memories": .number(Double(status.stats.memories)), "embedded": .number(Double(status.stats.embedded)),
            "documents": .number(Double(status.stats.documents)), "recall": .string(status.recallMode),
            "embedding_model": status.embeddingModel.map(JSONValue.string) ?? .null,
            "stored_embedding": status.settings.embedding.map {
                .object(["model": .string($0.model), "dimension": .number(Double($0.dimension))])
            } ?? .null,
        ])
    }
}
