import Dispatch
import Foundation

/// Returns once the process receives SIGTERM or SIGINT (both are ignored from then on), so a
/// standalone fake server (`tern-fake-llm`, `tern-fake-telegram`) can stop itself cleanly.
package func waitForTerminationSignal() async {
    let (stopRequests, stopRequested) = AsyncStream.makeStream(of: Int32.self)
    let signalSources = [SIGTERM, SIGINT].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { @Sendable in stopRequested.yield(number) }
        source.resume()
        return source
    }
    for await _ in stopRequests { break }
    withExtendedLifetime(signalSources) {}
}
