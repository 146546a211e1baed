import Foundation
package import Logging
package import TernCore
import Synchronization

/// Runs memory writes that must not hold up a turn (an explicit "remember that …", a turn's
/// summary) in tasks of their own, retrying a failed write a bounded number of times with
/// backoff; a write that still fails is logged, never thrown at the turn.
package final class MemoryWriter: Sendable {
    private struct State {
        var pending = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Tries per write (the first included).
    package let attempts: Int
    let backoff: Backoff
    let logger: Logger
    let sleep: @Sendable (Duration) async throws -> Void
    private let state = Mutex(State())

    /// - Parameters:
    ///   - attempts: tries per write, at least 1.
    ///   - backoff: the wait between tries.
    ///   - sleep: injectable so tests do not wait.
    package init(
        attempts: Int = 4, backoff: Backoff = Backoff(base: .milliseconds(250), cap: .seconds(5)),
        logger: Logger = Logger(label: "tern.memory.writes"),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.logger = logger
        self.sleep = sleep
    }

    /// Starts `write` in a task of its own and returns at once. `what` names the write in logs.
    package func submit(
        _ what: String, context: ContextID, _ write: @escaping @Sendable () async throws -> Void
    ) {
        state.withLock { $0.pending += 1 }
        Task {
            await self.run(what, context: context, write)
            self.done()
        }
    }

    private func run(_ what: String, context: ContextID, _ write: @Sendable () async throws -> Void) async {
        for attempt in 1...attempts {
            do {
                try await write()
                return
            } catch {
                guard attempt < attempts else {
                    logger.error(
                        "memory write failed; given up",
                        metadata: ["write": "\(what)", "context": "\(context)", "attempts": "\(attempt)", "error": "\(error)"])
                    return
                }
                logger.warning(
                    "memory write failed; retrying",
                    metadata: ["write": "\(what)", "context": "\(context)", "attempt": "\(attempt)", "error": "\(error)"])
                do {
                    try await sleep(backoff.delay(forAttempt: attempt - 1))
                } catch {
                    logger.warning("memory write retry cancelled", metadata: ["write": "\(what)", "context": "\(context)"])
                    return
                }
            }
        }
    }

    private func done() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.pending -= 1
            guard state.pending == 0 else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once no write is running (tests and shutdown await it).
    package func idle() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.pending == 0 { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }
}
