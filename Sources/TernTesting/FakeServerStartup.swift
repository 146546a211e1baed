import Synchronization
import TernCore

/// The server ended before it accepted connections.
enum FakeServerStartupError: Error {
    case stoppedBeforeStart
}

/// Hands the bound port from `onServerRunning` to a fake server's `start`, or the error that
/// came first. Used by ``FakeHTTPServer``.
final class FakeServerStartup: Sendable {
    private let result = Mutex<Result<Int, any Error>?>(nil)
    private let ready = OneShotSignal()

    func finish(_ outcome: Result<Int, any Error>) {
        let first = result.withLock { result in
            guard result == nil else { return false }
            result = outcome
            return true
        }
        if first { ready.fire() }
    }

    func port() async throws -> Int {
        await ready.wait()
        guard let outcome = result.withLock({ $0 }) else { throw CancellationError() }
        return try outcome.get()
    }
}
