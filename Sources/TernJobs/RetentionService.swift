package import Foundation
package import Logging
import ServiceLifecycle
package import TernCore

/// Deletes conversation history older than the configured number of days, at start and then
/// every `interval`, in bounded batches.
package struct RetentionService: Service {
    private let store: any RetentionStore
    private let days: Int
    private let interval: Duration
    private let batchSize: Int
    private let clock: any WallClock
    private let logger: Logger

    package init(
        store: any RetentionStore, days: Int, interval: Duration = .seconds(3600), batchSize: Int = 500,
        clock: any WallClock = SystemWallClock(), logger: Logger = Logger(label: "tern.jobs.retention")
    ) {
        self.store = store
        self.days = days
        self.interval = interval
        self.batchSize = batchSize
        self.clock = clock
        self.logger = logger
    }

    /// The moment before which history goes.
    package var cutoff: Date {
        clock.now().addingTimeInterval(-Double(days) * 86_400)
    }

    /// One full pass: batches until nothing older than the cutoff is left.
    @discardableResult
    package func runOnce() async throws -> RetentionCounts {
        let cutoff = self.cutoff
        var total = RetentionCounts()
        while true {
            try Task.checkCancellation()
            let batch = try await store.deleteBatch(olderThan: cutoff, batchSize: batchSize)
            total = total + batch
            if batch == RetentionCounts() { break }
            // Let other writers in between batches.
            await Task.yield()
        }
        return total
    }

    package func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    do {
                        let removed = try await runOnce()
                        logger.info(
                            "retention pass done",
                            metadata: [
                                "days": "\(days)", "messages": "\(removed.messages)", "sessions": "\(removed.sessions)",
                                "conversations": "\(removed.conversations)",
                            ])
                    } catch is CancellationError {
                        return
                    } catch {
                        // A failed pass is retried at the next interval; the server keeps running.
                        logger.error("retention pass failed", metadata: ["error": "\(error)"])
                    }
                    try await Task.sleep(for: interval)
                }
            }
        } catch is CancellationError {
            // Shutdown interrupted the pause between passes.
        }
    }
}
