/// Waits until `condition` holds, checking every few milliseconds, for at most `limit`: for state
/// that nothing signals (a connection the server saw close, a pool's bookkeeping). Throws
/// ``PollTimedOut`` naming `what` when the time is up.
package func poll(
    _ what: String, within limit: Duration = .seconds(20), _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw PollTimedOut(what: what) }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// ``poll(_:within:_:)`` ran out of time.
package struct PollTimedOut: Error, CustomStringConvertible {
    package let what: String
    package var description: String { "timed out waiting for \(what)" }
}
