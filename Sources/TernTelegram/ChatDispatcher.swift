import Foundation

/// Runs the work of each chat strictly in order, different chats at the same time, at most
/// ``limit`` chats at once; a chat over the limit waits its turn (first come, first served).
/// A slow turn in one chat never holds up another chat that has a free slot.
package actor ChatDispatcher {
    package typealias Work = @Sendable () async -> Void

    private let limit: Int
    private var queues: [Int64: [Work]] = [:]
    /// Chats with a worker running.
    private var active: Set<Int64> = []
    /// Chats with work but no free slot, in arrival order.
    private var waiting: [Int64] = []
    private var workers: [Int64: Task<Void, Never>] = [:]
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []

    package init(limit: Int) {
        precondition(limit > 0, "limit must be positive")
        self.limit = limit
    }

    /// Work waiting (not yet started) across all chats.
    package var queueDepth: Int { queues.values.reduce(0) { $0 + $1.count } }

    /// Chats being worked on now.
    package var activeChats: Int { active.count }

    /// Queues `work` behind the chat's earlier work.
    package func submit(chat: Int64, _ work: @escaping Work) {
        queues[chat, default: []].append(work)
        guard !active.contains(chat), !waiting.contains(chat) else { return }
        if active.count < limit { start(chat) } else { waiting.append(chat) }
    }

    /// Returns once nothing is queued or running.
    package func waitUntilIdle() async {
        if active.isEmpty, queueDepth == 0 { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    /// Drops the work not yet started; running work goes on.
    package func dropQueued() {
        queues.removeAll()
        waiting.removeAll()
    }

    /// Cancels every running piece of work and drops what is queued.
    package func cancelAll() {
        queues.removeAll()
        waiting.removeAll()
        for worker in workers.values { worker.cancel() }
    }

    private func start(_ chat: Int64) {
        active.insert(chat)
        workers[chat] = Task { await self.work(chat) }
    }

    private func work(_ chat: Int64) async {
        while let next = take(chat) {
            await next()
        }
    }

    /// The chat's next work, or `nil` after handing its slot to a waiting chat.
    private func take(_ chat: Int64) -> Work? {
        if var queue = queues[chat], !queue.isEmpty {
            let next = queue.removeFirst()
            queues[chat] = queue.isEmpty ? nil : queue
            return next
        }
        queues[chat] = nil
        active.remove(chat)
        workers[chat] = nil
        if !waiting.isEmpty { start(waiting.removeFirst()) }
        if active.isEmpty, queueDepth == 0 {
            let waiters = idleWaiters
            idleWaiters.removeAll()
            for waiter in waiters { waiter.resume() }
        }
        return nil
    }
}
