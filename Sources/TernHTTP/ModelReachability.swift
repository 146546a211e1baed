import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TernCore

/// What the last background check of the model server found.
package enum ModelReachabilityState: Sendable, Equatable {
    case unknown
    case notConfigured
    case reachable(milliseconds: Int)
    case unreachable(reason: String)

    var summary: String {
        switch self {
        case .unknown: "unknown"
        case .notConfigured: "not_configured"
        case .reachable: "reachable"
        case .unreachable: "unreachable"
        }
    }
}

/// Checks in the background whether the model server answers, so `/readyz` never waits on it.
package final class ModelReachability: Service, Sendable {
    private let model: (any ModelProvider)?
    private let interval: Duration
    private let state = Mutex(ModelReachabilityState.unknown)
    private let logger: Logger

    /// - Parameter model: `nil` when no model server is configured.
    package init(model: (any ModelProvider)?, interval: Duration = .seconds(30), logger: Logger) {
        self.model = model
        self.interval = interval
        self.logger = logger
        if model == nil { state.withLock { $0 = .notConfigured } }
    }

    /// The latest result.
    package var current: ModelReachabilityState { state.withLock { $0 } }

    /// Checks once now.
    package func check() async {
        guard let model else { return }
        let start = ContinuousClock.now
        let result: ModelReachabilityState
        do {
            _ = try await model.models()
            result = .reachable(milliseconds: Int((ContinuousClock.now - start) / .milliseconds(1)))
        } catch {
            result = .unreachable(reason: "\(error)")
        }
        let previous = state.withLock { state in
            defer { state = result }
            return state
        }
        if previous.summary != result.summary {
            logger.notice("model server is \(result.summary)", metadata: ["state": "\(result)"])
        }
    }

    package func run() async throws {
        do {
            guard model != nil else {
                // Nothing to check; a service must still live until shutdown.
                try await gracefulShutdown()
                return
            }
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    await self.check()
                    try await Task.sleep(for: self.interval)
                }
            }
        } catch is CancellationError {
            // Shutdown interrupted the pause between checks.
        }
    }
}
