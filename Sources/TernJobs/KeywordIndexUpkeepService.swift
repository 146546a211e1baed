package import Logging
import ServiceLifecycle
package import TernCore

/// Keeps the memories' keyword index in one piece on SQLite: every `interval` it asks the store
/// to merge the index's segments if this process wrote memories since the last merge and
/// either stopped writing `idle` ago or first wrote `longest` ago
/// (``MemoryStore/compactKeywordIndex(_:)``). A turn's keyword recall looks each word up in
/// every segment, so unmerged writes make each recall slower (docs/benchmarks.md, "Issue 18:
/// the keyword index in one piece"); a merge is off the turn's path, but holds the writer
/// while it runs, hence the pause after a burst and the long bound.
package struct KeywordIndexUpkeepService: Service {
    private let store: any MemoryStore
    private let interval: Duration
    private let idle: Duration
    private let longest: Duration
    private let logger: Logger

    package init(
        store: any MemoryStore, interval: Duration = .seconds(5), idle: Duration = .seconds(5),
        longest: Duration = .seconds(600), logger: Logger = Logger(label: "tern.jobs.keyword_index")
    ) {
        self.store = store
        self.interval = interval
        self.idle = idle
        self.longest = longest
        self.logger = logger
    }

    /// One check: merges if due. Returns whether it merged.
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
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    try await Task.sleep(for: interval)
                    do {
                        try await runOnce()
                    } catch is CancellationError {
                        return
                    } catch {
                        // Tried again at the next check (the writes stay due); recall still works.
                        logger.error("merging the memories' keyword index failed", metadata: ["error": "\(error)"])
                    }
                }
            }
        } catch is CancellationError {
            // Shutdown interrupted the pause between checks.
        }
    }
}
