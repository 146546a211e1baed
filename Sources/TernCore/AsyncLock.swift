/// A first-come-first-served async mutex: one holder at a time, waiters resume in order.
///
/// Unlike an actor, the lock is held across suspension points, so a multi-statement
/// transaction on one connection cannot interleave with another.
package actor AsyncLock {
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    package init() {}

    /// Runs `body` while holding the lock.
    package func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        if !locked {
            locked = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            locked = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
