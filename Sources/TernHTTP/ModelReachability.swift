package import Foundation
package import Logging
import ServiceLifecycle
package import TernCore

/// What is known about the model server: the latest evidence of a real call or a check.
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

/// Keeps `/readyz`'s view of the model server current without ever disturbing real work.
///
/// - Real calls are evidence: the provider (when it is ``ModelCallTracking``) records every
///   answer as reachable and every refused connection or silent server as unreachable at once.
/// - The background check (``ModelProvider/checkReachability()``: `GET /models`, or on
///   llama-cpp-python a page that takes no model lock; every ``interval``) is **skipped while
///   any model call is in flight** — llama-cpp-python cuts a running stream when another request
///   arrives, and other replicas' streams are spared by the lock-free page — and
///   has its own short ``checkTimeout``, so a frozen server is reported within
///   `interval + checkTimeout` (10 s by default) and a recovered one within `interval`. A server
///   that freezes *during* a call is reported by that call's own timeout.
package final class ModelReachability: Service, Sendable {
    private let model: (any ModelProvider)?
    private let calls: ModelCallTracker
    /// The pause between checks.
    package let interval: Duration
    /// How long one check may take before the server counts as unreachable.
    package let checkTimeout: Duration
    private let logger: Logger

    /// - Parameters:
    ///   - model: `nil` when no model server is configured.
    ///   - calls: The tracker the provider's calls update; defaults to the provider's own
    ///     (``ModelCallTracking``), else a private one that only the checks update.
    package init(
        model: (any ModelProvider)?, calls: ModelCallTracker? = nil, interval: Duration = .seconds(5),
        checkTimeout: Duration = .seconds(5), logger: Logger
    ) {
        self.model = model
        self.calls = calls ?? (model as? any ModelCallTracking)?.callTracker ?? ModelCallTracker()
        self.interval = interval
        self.checkTimeout = checkTimeout
        self.logger = logger
    }

    /// The latest evidence.
    package var current: ModelReachabilityState {
        guard model != nil else { return .notConfigured }
        switch calls.evidence {
        case nil: return .unknown
        case .reachable(let milliseconds): return .reachable(milliseconds: milliseconds)
        case .unreachable(let reason): return .unreachable(reason: reason)
        }
    }

    /// Checks once now, unless a model call is in flight (its outcome is the evidence then).
    /// Returns whether it checked.
    @discardableResult
    package func check() async -> Bool {
        guard let model else { return false }
        guard calls.inFlight == 0 else {
            logger.trace("model server check skipped: calls in flight", metadata: ["in_flight": "\(calls.inFlight)"])
            return false
        }
        let start = ContinuousClock.now
        let evidence: ModelCallTracker.Evidence
        do {
            try await withTimeLimit(checkTimeout, orThrow: { CheckTimedOut() }) { try await model.checkReachability() }
            evidence = .reachable(milliseconds: Int((ContinuousClock.now - start) / .milliseconds(1)))
        } catch is CancellationError {
            return false  // shutdown: nothing was learned
        } catch is CheckTimedOut {
            evidence = .unreachable(reason: "no answer within \(checkTimeout)")
        } catch {
            evidence = .unreachable(reason: "\(error)")
        }
        if calls.record(evidence) {
            logger.notice("model server is \(current.summary)", metadata: ["state": "\(current)"])
        }
        return true
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

/// A check that ran out of ``ModelReachability/checkTimeout``.
private struct CheckTimedOut: Error {}
