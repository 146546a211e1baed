import Crypto
import Foundation
import Logging
package import TernCore

extension MemoryService {
    /// What one ingested document came to.
    package struct IngestReport: Sendable, Equatable {
        package var source: String
        package var outcome: MemoryIngestOutcome
        package var chunkCount: Int
        /// Chunks stored without a vector (the embedding provider failed; keyword recall finds them).
        package var unembedded: Int
        /// Why they have none, when the provider failed.
        package var embeddingProblem: String?
    }

    /// The content hash of a document: SHA-256 of the chunking settings, the format and the text,
    /// so a changed file, or the same file cut differently, is ingested again.
    package func contentHash(of text: String, format: DocumentFormat) -> String {
        var hash = SHA256()
        hash.update(data: Data("v1 \(chunker.maxCharacters) \(chunker.overlap) \(format.rawValue)\u{0}".utf8))
        hash.update(data: Data(text.utf8))
        return lowercaseHex(hash.finalize())
    }

    /// Chunks `text`, embeds the chunks (vectors the context already has for identical chunks are
    /// reused, so an edited document embeds only what changed) and stores the document in one
    /// transaction: unchanged when its hash is already stored, replacing an older version.
    /// - Throws: ``StoreError/invalid(_:)`` for a document with no text; ``MemoryError`` when
    ///   the context's vectors have another dimension or model.
    package func ingest(
        _ text: String, source: String, format: DocumentFormat, in context: ContextID
    ) async throws -> IngestReport {
        let hash = contentHash(of: text, format: format)
        let pieces = chunker.chunks(of: text, format: format)
        guard !pieces.isEmpty else { throw StoreError.invalid("document '\(source)' has no text to remember") }
        var vectors: [String: MemoryEmbedding] = [:]
        var problem: String?
        if let embeddings {
            vectors = try await store.cachedEmbeddings(for: pieces, model: embeddings.model, in: context)
            let missing = Array(Set(pieces.filter { vectors[$0] == nil }))
            do {
                for (piece, vector) in zip(missing, try await embeddings.embed(missing)) {
                    vectors[piece] = MemoryEmbedding(vector: vector, model: embeddings.model)
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                problem = "\(error)"
                logger.warning(
                    "embedding failed; document stored for keyword recall only",
                    metadata: ["context": "\(context)", "source": "\(source)", "error": "\(error)"])
            }
        }
        let chunks = pieces.map { MemoryChunk(text: $0, embedding: vectors[$0]) }
        let result = try await store.ingest(
            MemoryDocument(
                source: source, contentHash: hash, chunks: chunks, metadata: ["format": .string(format.rawValue)]),
            in: context)
        let unembedded = result.outcome == .unchanged ? 0 : chunks.filter { $0.embedding == nil }.count
        return IngestReport(
            source: source, outcome: result.outcome, chunkCount: result.chunkCount, unembedded: unembedded,
            embeddingProblem: embeddings == nil || unembedded == 0 ? nil : problem)
    }

    /// Drops every vector of the context and embeds all its memories again with the configured
    /// model (after the embedding model changed, or to fill in vectors a failing provider left
    /// out). Keyword recall works throughout. Returns how many memories got a vector.
    /// - Parameter progress: called with (done, total) after each batch.
    package func reembed(
        in context: ContextID, progress: @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> Int {
        guard let embeddings else {
            throw StoreError.invalid("no embedding model is configured (set TERN_EMBEDDING_MODEL); recall is by keyword only")
        }
        try await store.resetEmbeddings(in: context)
        let total = try await store.stats(in: context).memories
        var done = 0
        var after: MemoryID?
        progress(0, total)
        while true {
            let batch = try await store.memoriesWithoutEmbedding(in: context, after: after, limit: embeddings.batchSize)
            guard let last = batch.last else { break }
            let vectors = try await embeddings.embed(batch.map(\.text))
            var update: [MemoryID: MemoryEmbedding] = [:]
            for (memory, vector) in zip(batch, vectors) {
                update[memory.id] = MemoryEmbedding(vector: vector, model: embeddings.model)
            }
            done += try await store.setEmbeddings(update, in: context)
            after = last.id
            progress(done, max(total, done))
        }
        return done
    }
}
