import Synchronization

/// A one-shot event many tasks can await: `fire()` releases every waiter, now and later.
/// Waiting ends early when the waiting task is cancelled.
final class FakeLLMSignal: Sendable {
    private struct State {
        var fired = false
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    var isFired: Bool { state.withLock { $0.fired } }

    func fire() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.fired = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once fired, or as soon as the current task is cancelled.
    func wait() async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.fired || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}

/// Why a wait inside a request handler ended.
enum FakeLLMWaitResult: Sendable {
    case elapsed, serverStopping, clientGone
}

/// Waits for `duration` or `gate` (forever when neither), ending early when the server stops or
/// the client goes.
func fakeLLMWait(
    for duration: Duration?, gate: FakeLLMSignal? = nil, stop: FakeLLMSignal, clientGone: FakeLLMSignal
) async -> FakeLLMWaitResult {
    await withTaskGroup(of: FakeLLMWaitResult?.self) { group in
        if let gate {
            group.addTask {
                await gate.wait()
                return gate.isFired ? .elapsed : nil
            }
        }
        group.addTask {
            await stop.wait()
            return stop.isFired ? .serverStopping : nil
        }
        group.addTask {
            await clientGone.wait()
            return clientGone.isFired ? .clientGone : nil
        }
        if let duration {
            group.addTask {
                do {
                    try await Task.sleep(for: duration)
                    return .elapsed
                } catch {
                    return nil  // cancelled because another event came first
                }
            }
        }
        var result = FakeLLMWaitResult.serverStopping  // if this task itself is cancelled
        for await outcome in group {
            if let outcome {
                result = outcome
                break
            }
        }
        group.cancelAll()
        return result
    }
}
