import Foundation
import Synchronization

/// The end of one stdio connection: set once (the first reason wins), it finishes the message
/// stream by throwing the reason and wakes everyone waiting for it.
final class StdioEnd: Sendable {
    private struct State {
        var reason: MCPClientError?
        var waiters: [Int: CheckedContinuation<MCPClientError?, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())
    private let messages: AsyncThrowingStream<Data, any Error>.Continuation

    /// An end that finishes `messages` when it is reached.
    init(messages: AsyncThrowingStream<Data, any Error>.Continuation) {
        self.messages = messages
    }

    /// Why the connection ended, or `nil` while it is open.
    var reason: MCPClientError? { state.withLock { $0.reason } }

    /// Ends the connection for `reason` unless it already ended; returns whether this call ended it.
    @discardableResult
    func close(_ reason: MCPClientError) -> Bool {
        let waiters = state.withLock { state -> [CheckedContinuation<MCPClientError?, Never>]? in
            guard state.reason == nil else { return nil }
            state.reason = reason
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        guard let waiters else { return false }
        messages.finish(throwing: reason)
        for waiter in waiters { waiter.resume(returning: reason) }
        return true
    }

    /// Waits for the end and returns its reason; `nil` if the caller was cancelled first.
    func wait() async -> MCPClientError? {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> MCPClientError?? in
                    if let reason = state.reason { return .some(reason) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[id] = continuation
                    return .none
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(returning: nil)
        }
    }
}
