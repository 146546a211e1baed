import Synchronization
import TernCore

/// The fake server's signals are plain one-shot signals.
typealias FakeLLMSignal = OneShotSignal

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
