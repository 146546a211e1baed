package import HummingbirdCore
package import Logging
import NIOCore

/// Caps the connections open at once (`TERN_MAX_CONNECTIONS`). At the cap the server stops
/// accepting; new clients wait in the listen backlog until a connection closes.
///
/// Reaching the cap is logged as one warning per ``logInterval`` (with how many times it was
/// reached since the last line), never once per connection, so a flood cannot flood the log.
package struct ConnectionLimit: AvailableConnectionsDelegate {
    /// The cap.
    package let maxConnections: Int
    /// At most one warning per this interval.
    package let logInterval: Duration
    private let logger: Logger
    private let now: @Sendable () -> ContinuousClock.Instant
    private(set) var open = 0
    private var lastWarning: ContinuousClock.Instant?
    private var reachedSinceWarning = 0

    /// - Parameter now: the clock, injected for tests.
    package init(
        maxConnections: Int, logInterval: Duration = .seconds(60), logger: Logger,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.maxConnections = maxConnections
        self.logInterval = logInterval
        self.logger = logger
        self.now = now
    }

    /// Counts a connection; logs when it fills the last place.
    package mutating func connectionOpened() {
        open += 1
        guard open >= maxConnections else { return }
        reachedSinceWarning += 1
        let time = now()
        if let lastWarning, time < lastWarning + logInterval { return }
        logger.warning(
            "connection limit reached: new connections wait until one closes; raise TERN_MAX_CONNECTIONS if this is normal load",
            metadata: [
                "max_connections": "\(maxConnections)", "times_reached": "\(reachedSinceWarning)",
                "since_seconds": "\(lastWarning.map { (time - $0).components.seconds } ?? 0)",
            ])
        lastWarning = time
        reachedSinceWarning = 0
    }

    /// Frees a place.
    package mutating func connectionClosed() {
        open -= 1
    }

    /// Whether another connection may be accepted now.
    package func isAcceptingNewConnections() -> Bool {
        open < maxConnections
    }
}
