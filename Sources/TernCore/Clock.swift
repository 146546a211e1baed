package import Foundation

/// The current time, injected so tests are deterministic.
package protocol WallClock: Sendable {
    /// Now.
    func now() -> Date
}

/// The system's clock.
package struct SystemWallClock: WallClock {
    package init() {}
    package func now() -> Date { Date() }
}

extension Date {
    /// Microseconds since 1970, the form timestamps are stored in.
    package var microsecondsSince1970: Int64 {
        Int64((timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// A date from microseconds since 1970.
    package init(microsecondsSince1970 value: Int64) {
        self.init(timeIntervalSince1970: Double(value) / 1_000_000)
    }
}
