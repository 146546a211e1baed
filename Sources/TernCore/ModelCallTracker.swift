import Synchronization

/// Counts the model calls in flight and keeps the latest evidence of whether the model server
/// answers, so a background reachability check can stay out of the way of real work (some
/// servers, e.g. llama-cpp-python, cut a running stream when any other request arrives) and
/// `/readyz` can follow real calls at once.
///
/// A provider increments the counter around each call (``withCall(_:)`` or ``begin()``/``end()``)
/// and records evidence: an answer of any status means reachable, a refused or broken connection
/// or a silent server means unreachable.
package final class ModelCallTracker: Sendable {
    /// What a call or a check found out about the server.
    package enum Evidence: Sendable, Equatable {
        /// The server answered; `milliseconds` until its response head arrived.
        case reachable(milliseconds: Int)
        /// The server could not be reached or stayed silent; `reason` is short and body-free.
        case unreachable(reason: String)

        /// Whether this is ``reachable(milliseconds:)``.
        package var isReachable: Bool {
            if case .reachable = self { true } else { false }
        }
    }

    private struct State {
        var inFlight = 0
        var evidence: Evidence?
    }

    private let state = Mutex(State())

    /// Creates a tracker with nothing in flight and no evidence.
    package init() {}

    /// The number of calls running now.
    package var inFlight: Int { state.withLock { $0.inFlight } }

    /// The latest evidence, `nil` before the first call or check.
    package var evidence: Evidence? { state.withLock { $0.evidence } }

    /// Counts a call as started; pair with ``end()``.
    package func begin() {
        state.withLock { $0.inFlight += 1 }
    }

    /// Counts a call as ended.
    package func end() {
        state.withLock { $0.inFlight = max(0, $0.inFlight - 1) }
    }

    /// Runs `operation` counted as one call in flight.
    package func withCall<T>(_ operation: () async throws -> T) async rethrows -> T {
        begin()
        defer { end() }
        return try await operation()
    }

    /// Stores `evidence`; returns `true` when it changes reachable ↔ unreachable (or is the
    /// first), so the caller can log the change once.
    @discardableResult
    package func record(_ evidence: Evidence) -> Bool {
        state.withLock { state in
            defer { state.evidence = evidence }
            return state.evidence?.isReachable != evidence.isReachable
        }
    }
}

/// A ``ModelProvider`` that counts its calls in a ``ModelCallTracker`` (the OpenAI client does).
package protocol ModelCallTracking: Sendable {
    /// The tracker the provider's calls update.
    var callTracker: ModelCallTracker { get }
}
