import Synchronization
import TernCore

/// Releases arrivals two at a time: work that waits on it runs in pairs, so a test can prove
/// two things ran at once (a limit of 1 would hang) and that no more than two did.
package final class PairGate: Sendable {
    private let state = Mutex((arrived: 0, signal: OneShotSignal()))

    package init() {}

    /// Waits until a partner arrives (or has arrived).
    package func arrive() async {
        let signal = state.withLock { state -> OneShotSignal in
            state.arrived += 1
            let current = state.signal
            if state.arrived % 2 == 0 {
                current.fire()
                state.signal = OneShotSignal()
            }
            return current
        }
        await signal.wait()
    }
}
