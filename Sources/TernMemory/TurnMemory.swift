import Foundation
package import Logging
package import TernCore
import Synchronization

/// Memory in a chat turn: before the model is asked, the context's memories for the user's
/// message are recalled and handed over as one system message, each with its source so the
/// answer can cite it; after the turn, an explicit "remember that …" is stored and (when the
/// context turned it on) a short summary of the turn is made and stored by a model call in a
/// task of its own. Nothing here fails or delays a turn beyond the recall itself: every failure
/// is logged, and writes are retried by the ``MemoryWriter``.
package struct TurnMemory: Sendable {
    /// The memory the turn reads and writes.
    package let service: MemoryService
    /// Writes after the turn.
    package let writer: MemoryWriter
    /// Makes summaries.
    let model: any ModelProvider
    /// The model asked for summaries (the chat model).
    let summaryModel: String
    /// The longest wait for a query embedding not in the cache; then recall is by keyword.
    let embeddingTimeLimit: Duration
    /// After an embedding failure, turns recall by keyword for this long before trying again,
    /// so a dead embedding server does not cost every turn its timeout.
    let embeddingPause: Duration
    private let pausedUntil = PauseClock()
    let logger: Logger

    /// - Parameters:
    ///   - service: memory and embeddings.
    ///   - model: the chat provider, for turn summaries.
    ///   - summaryModel: the model name for summaries.
    package init(
        service: MemoryService, model: any ModelProvider, summaryModel: String, writer: MemoryWriter = MemoryWriter(),
        embeddingTimeLimit: Duration = .seconds(2), embeddingPause: Duration = .seconds(30),
        logger: Logger = Logger(label: "tern.memory.turn")
    ) {
        self.service = service
        self.model = model
        self.summaryModel = summaryModel
        self.writer = writer
        self.embeddingTimeLimit = embeddingTimeLimit
        self.embeddingPause = embeddingPause
        self.logger = logger
    }

    /// The system message with the memories recalled for `input`, or `nil` when memory is off
    /// in the context, nothing matched, or recall failed (logged).
    package func prompt(for input: String, in context: ContextID) async -> ChatMessage? {
        do {
            let preferences = try await service.preferences(in: context)
            guard preferences.enabled else { return nil }
            let embedding = await queryEmbedding(input, in: context)
            var query = MemoryQuery(
                text: input, embedding: embedding, k: preferences.k, minimumSimilarity: preferences.minimumScore)
            let hits: [MemoryHit]
            do {
                hits = try await service.store.recall(query, in: context)
            } catch let error as MemoryError {
                logger.warning(
                    "memory vectors refused; keyword recall only", metadata: ["context": "\(context)", "error": "\(error)"])
                query.embedding = nil
                hits = try await service.store.recall(query, in: context)
            }
            return Self.message(for: hits)
        } catch is CancellationError {
            return nil
        } catch {
            logger.error("memory recall failed; the turn goes on without it", metadata: ["context": "\(context)", "error": "\(error)"])
            return nil
        }
    }

    /// The query's embedding: from the cache at once, else from the provider within
    /// ``embeddingTimeLimit``; `nil` when there is no provider, it is paused after a failure,
    /// or it fails now (which pauses it).
    func queryEmbedding(_ text: String, in context: ContextID) async -> MemoryEmbedding? {
        guard let embeddings = service.embeddings else { return nil }
        if let cached = embeddings.cached(text) { return MemoryEmbedding(vector: cached, model: embeddings.model) }
        let now = ContinuousClock.now
        if let until = pausedUntil.value.withLock({ $0 }), now < until { return nil }
        do {
            let vector = try await withTimeLimit(
                embeddingTimeLimit,
                orThrow: { [limit = embeddingTimeLimit] in
                    ModelError.timeout(
                        endpoint: "embeddings",
                        seconds: Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18)
                }
            ) { try await embeddings.embed(text) }
            pausedUntil.value.withLock { $0 = nil }
            return MemoryEmbedding(vector: vector, model: embeddings.model)
        } catch {
            if !(error is CancellationError) {
                pausedUntil.value.withLock { $0 = ContinuousClock.now + embeddingPause }
                logger.warning(
                    "query embedding failed; keyword recall only for a while",
                    metadata: ["context": "\(context)", "error": "\(error)", "pause_seconds": "\(embeddingPause.components.seconds)"])
            }
            return nil
        }
    }

    /// How hits are put to the model: one line per hit, its source first.
    package static func message(for hits: [MemoryHit]) -> ChatMessage? {
        guard !hits.isEmpty else { return nil }
        var text =
            "Memories recalled for the user's message (from this workspace's memory; they may be outdated). "
            + "When you use one, cite its source in brackets."
        for hit in hits {
            let flat = hit.memory.text.split(whereSeparator: \.isNewline).joined(separator: " ")
            text += "\n- [\(source(of: hit.memory))] \(flat)"
        }
        return ChatMessage(role: .system, content: text)
    }

    /// A document chunk's path, or "remembered on <date>" for a fact.
    package static func source(of memory: StoredMemory) -> String {
        if memory.documentID != nil { return memory.source }
        return "remembered on \(day(memory.createdAt))"
    }

    /// `yyyy-MM-dd` in UTC.
    static func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        let pad = { (value: Int?) in value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(parts.year ?? 1970)-\(pad(parts.month))-\(pad(parts.day))"
    }
}

/// Until when query embeddings are skipped after a failure (shared by copies of a ``TurnMemory``).
final class PauseClock: Sendable {
    let value = Mutex<ContinuousClock.Instant?>(nil)
}
