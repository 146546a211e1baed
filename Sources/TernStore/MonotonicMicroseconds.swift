import Synchronization
import TernCore

/// Timestamps in microseconds that strictly increase within this process, so rows written in
/// one session sort in the order they were written even within one clock tick.
final class MonotonicMicroseconds: Sendable {
    private let clock: any WallClock
    private let last = Mutex<Int64>(0)

    init(clock: any WallClock) { self.clock = clock }

    func next() -> Int64 {
        let now = clock.now().microsecondsSince1970
        return last.withLock { last in
            last = max(now, last + 1)
            return last
        }
    }
}
