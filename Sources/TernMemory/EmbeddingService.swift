import Crypto
import Foundation
package import TernCore

/// Embeddings for memory: asks the OpenAI-compatible `/v1/embeddings` of the configured
/// provider in batches, and keeps each vector in a bounded LRU cache keyed by a SHA-256 of the
/// model and the text, so a repeated question or an unchanged chunk is embedded once.
package struct EmbeddingService: Sendable {
    /// The server that embeds (``ModelProvider/embed(_:model:)``).
    package let provider: any ModelProvider
    /// The embedding model (`TERN_EMBEDDING_MODEL`), sent with every request.
    package let model: String
    /// Inputs per request at most.
    package let batchSize: Int
    /// Vectors already computed.
    package let cache: EmbeddingCache

    /// - Parameters:
    ///   - provider: the embedding server.
    ///   - model: the model name sent to it.
    ///   - batchSize: inputs per request (at least 1).
    ///   - cacheCapacity: vectors kept in memory (a 384-dimension vector is 1.5 KiB).
    package init(provider: any ModelProvider, model: String, batchSize: Int = 64, cacheCapacity: Int = 4096) {
        self.provider = provider
        self.model = model
        self.batchSize = max(1, batchSize)
        self.cache = EmbeddingCache(capacity: cacheCapacity)
    }

    /// One vector per text, in order. Cached texts are not sent; the rest go in batches of
    /// ``batchSize``, and each answer is checked: as many vectors as inputs, none empty, all of
    /// one dimension.
    /// - Throws: the provider's ``ModelError``, or ``EmbeddingError`` for an unusable answer.
    package func embed(_ texts: [String]) async throws -> [[Float]] {
        var result = [[Float]?](repeating: nil, count: texts.count)
        var missing: [(position: Int, key: String)] = []
        for (position, text) in texts.enumerated() {
            let key = Self.key(model: model, text: text)
            if let cached = cache.vector(for: key) {
                result[position] = cached
            } else {
                missing.append((position, key))
            }
        }
        var start = 0
        while start < missing.count {
            try Task.checkCancellation()
            let batch = missing[start..<min(start + batchSize, missing.count)]
            let vectors = try await provider.embed(batch.map { texts[$0.position] }, model: model)
            guard vectors.count == batch.count else {
                throw EmbeddingError.unusableAnswer(model: model, reason: "asked for \(batch.count) vectors, got \(vectors.count)")
            }
            for (item, vector) in zip(batch, vectors) {
                guard !vector.isEmpty else {
                    throw EmbeddingError.unusableAnswer(model: model, reason: "an empty vector")
                }
                cache.store(vector, for: item.key)
                result[item.position] = vector
            }
            start += batchSize
        }
        let vectors = result.map { $0 ?? [] }
        if let first = vectors.first, let other = vectors.first(where: { $0.count != first.count }) {
            throw EmbeddingError.unusableAnswer(
                model: model, reason: "vectors of \(first.count) and \(other.count) dimensions in one answer")
        }
        return vectors
    }

    /// The vector of `text` when it is in the cache; never asks the provider.
    package func cached(_ text: String) -> [Float]? {
        cache.vector(for: Self.key(model: model, text: text))
    }

    /// The vector of one text.
    package func embed(_ text: String) async throws -> [Float] {
        try await embed([text])[0]
    }

    /// The cache key: SHA-256 of the model name, a NUL and the text, in hex.
    static func key(model: String, text: String) -> String {
        var hash = SHA256()
        hash.update(data: Data(model.utf8))
        hash.update(data: Data([0]))
        hash.update(data: Data(text.utf8))
        return lowercaseHex(hash.finalize())
    }
}

/// Why embeddings could not be used.
package enum EmbeddingError: Error, Equatable, CustomStringConvertible {
    /// The server answered, but not with usable vectors.
    case unusableAnswer(model: String, reason: String)

    package var description: String {
        switch self {
        case .unusableAnswer(let model, let reason):
            "the embedding server's answer for model '\(model)' is unusable: \(reason)"
        }
    }
}
