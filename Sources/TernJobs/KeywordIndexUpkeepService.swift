package import Logging
import ServiceLifecycle
package import TernCore

/// Keeps the memories' keyword index from splitting up on SQLite: every `interval`, once this
/// process's memory writes have paused for `idle` (or the first of them is `longest` old), it
/// asks the store to merge the index's segments if they are split enough to be worth it
/// (``MemoryStore/compactKeywordIndex(_:)``, ``KeywordIndexCompaction/ifDue(idle:longest:)``).
/// A turn's keyword recall looks each word up in every segment, so a load through the admin
/// API left unmerged makes every later recall slower (docs/benchmarks.md, "Issue 18: the
/// keyword index in one piece"); a merge is off the turn's path but holds the writer while it
/// runs. A failed check is logged and tried again, at growing intervals up to `longest`.
package struct KeywordIndexUpkeepService: Service {
    private let store: any MemoryStore
    private let interval: Duration
    private let idle: Duration
    private let longest: Duration
    private let logger: Logger
    /// Told the outcome of each check that ran (tests await it).
    private let checked: @Sendable (Result<Bool, any Error>) -> Void

    package init(
        store: any MemoryStore, interval: Duration = .seconds(5), idle: Duration = .seconds(5),
        longest: Duration = .seconds(600), logger: Logger = Logger(label: "tern.jobs.keyword_index"),
        checked: @escaping @Sendable (Result<Bool, any Error>) -> Void = { _ in }
    ) {
        self.store = store
        self.interval = interval
        self.idle = idle
        self.longest = longest
        self.logger = logger
        self.checked = checked
    }

    /// One check: merges if due and worth it. Returns whether it merged.
    @discardableResult
    package func runOnce() async throws -> Bool {
        let started = ContinuousClock.now
        let merged = try await store.compactKeywordIndex(.ifDue(idle: idle, longest: longest))
        if merged {
            logger.debug("merged the memories' keyword index", metadata: ["took": "\(ContinuousClock.now - started)"])
        }
        return merged
    }

    package func run() async throws {
        let backoff = Backoff(base: interval, cap: max(interval, longest), jitter: 0)
        do {
            try await cancelWhenGracefulShutdown {
                var failures = 0
                while !Task.isCancelled {
                    try await Task.sleep(for: failures == 0 ? interval : backoff.ceiling(forAttempt: failures))
                    do {
                        let merged = try await runOnce()
                        failures = 0
                        checked(.success(merged))
                    } catch is CancellationError {
                        return
                    } catch {
                        // The writes stay due; recall works meanwhile, only slower.
                        failures += 1
                        logger.error(
                            "merging the memories' keyword index failed; trying again later",
                            metadata: ["error": "\(error)", "failures": "\(failures)"])
                        checked(.failure(error))
                    }
                }
            }
        } catch is CancellationError {
            // Shutdown interrupted the pause between checks.
        }
    }
}
