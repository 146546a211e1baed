import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import TernHTTP
import Testing

/// Slow-loris and keep-alive limits, against a live server over real sockets.
@Suite struct ConnectionLimitsTests {
    static let limits = ServerLimits(headerTimeout: .seconds(1), idleTimeout: .seconds(60), maxRequestsPerConnection: 2)

    /// 20 clients trickle a header line every 200 ms (each line resets any idle timer); the
    /// head deadline closes every one of them, and `/healthz` answers throughout.
    @Test func slowLoris_connectionsClosedAtHeaderDeadline_healthzStillAnswers() async throws {
        try await LimitsHarness.run(limits: Self.limits) { port, _ in
            // 60 lines at 200 ms are 12 s: far past the 1 s deadline, so a server that only
            // had an idle timeout would still be reading when the lines run out.
            let lines = ["GET /healthz HTTP/1.1\r\n", "Host: tern\r\n"] + Array(repeating: "X-Slow: 1\r\n", count: 58)
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await RawConnection.open(port: port).trickle(lines, every: .milliseconds(200))
                    }
                }
                // A connection of its own, opened when the request is ready: the harness's client
                // connects at the start, and on a loaded machine the 1 s head deadline closed it
                // before its request went out ("I/O on closed channel").
                let health = try await RawConnection.open(port: port)
                    .sendAndReadToEnd("GET /healthz HTTP/1.1\r\nHost: tern\r\nConnection: close\r\n\r\n")
                #expect(health.hasPrefix("HTTP/1.1 200"), "\(health)")

                var closed = 0
                for try await received in group {
                    #expect(received.isEmpty, "a trickling client got an answer: \(received)")
                    closed += 1
                }
                #expect(closed == 20)
            }
        }
    }

    /// A client that connects and sends nothing is closed at the head deadline too.
    @Test func silentConnection_closedAtHeaderDeadline() async throws {
        try await LimitsHarness.run(limits: Self.limits) { port, _ in
            let connection = try await RawConnection.open(port: port)
            let received = try await connection.trickle(Array(repeating: "", count: 60), every: .milliseconds(200))
            #expect(received.isEmpty)
        }
    }

    /// The last request a keep-alive connection may carry is answered with `Connection: close`,
    /// then the connection closes.
    @Test func keepAlive_lastAllowedRequestClosesConnection() async throws {
        try await LimitsHarness.run(limits: Self.limits) { port, _ in
            let connection = try await RawConnection.open(port: port)
            let request = "GET /healthz HTTP/1.1\r\nHost: tern\r\n\r\n"
            let received = try await connection.sendAndReadToEnd(request + request + request)
            let answers = received.components(separatedBy: "HTTP/1.1 200")
            #expect(answers.count - 1 == 2, "\(received)")
            #expect(answers.last?.lowercased().contains("connection: close") == true, "\(received)")
            #expect(answers.dropLast().last?.lowercased().contains("connection: close") == false)
        }
    }

    /// Reaching the connection cap stops accepting and logs one warning per interval, not one
    /// per connection.
    @Test func connectionLimit_logsOncePerInterval() {
        let recorder = LogRecorder()
        let clock = Mutex(ContinuousClock.now)
        var limit = ConnectionLimit(
            maxConnections: 2, logInterval: .seconds(60), logger: Logger(label: "t") { _ in recorder },
            now: { clock.withLock { $0 } })
        limit.connectionOpened()
        #expect(limit.isAcceptingNewConnections())
        limit.connectionOpened()
        #expect(!limit.isAcceptingNewConnections())
        for _ in 0..<50 {
            limit.connectionClosed()
            limit.connectionOpened()
        }
        #expect(recorder.messages.count == 1)
        #expect(recorder.messages.first?.contains("TERN_MAX_CONNECTIONS") == true)
        clock.withLock { $0 += .seconds(61) }
        limit.connectionClosed()
        limit.connectionOpened()
        #expect(recorder.messages.count == 2)
        #expect(recorder.recordedMetadata.last?["times_reached"] == "51")
    }
}

/// A log handler that keeps what it is given.
final class LogRecorder: LogHandler, @unchecked Sendable {
    // `@unchecked`: the recorded lines are behind the lock; the rest is set once.
    private let lines = Mutex<[(String, Logger.Metadata)]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var messages: [String] { lines.withLock { $0.map(\.0) } }
    var recordedMetadata: [[String: String]] {
        lines.withLock { $0.map { $0.1.mapValues { "\($0)" } } }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        lines.withLock { $0.append((event.message.description, event.metadata ?? [:])) }
    }
}
