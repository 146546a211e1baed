import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import Synchronization
import TernAgent
import TernApp
import TernCore
import TernHTTP
import TernStore
import TernTesting

/// A live Tern server (``LiveTern``) with chosen ``ServerLimits`` and model (none configured unless given), for the connection, body and
/// stream-limit suites; `body` gets the server's port.
enum LimitsHarness {
    static let apiKey = "limits-key-0123456789abcdef"

    static func run(
        limits: ServerLimits, model: (any ModelProvider)? = nil,
        _ body: @Sendable (Int, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await LiveTern.run(
            environment: ["TERN_API_KEYS": apiKey], configure: { $0.server = limits },
            overrides: DependencyOverrides(model: model)
        ) { _, client in
            guard let port = client.port else { throw LimitsHarnessError.noPort }
            try await body(port, client)
        }
    }

    static var authorized: HTTPFields {
        [.authorization: "Bearer \(apiKey)", .contentType: "application/json"]
    }
}

enum LimitsHarnessError: Error {
    case noPort
    case timedOut(String)
}

/// A raw TCP connection to the server, for clients no HTTP library would be: one that trickles
/// its headers, one that holds a connection open.
struct RawConnection: Sendable {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>

    static func open(port: Int) async throws -> RawConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return RawConnection(channel: channel)
    }

    /// Sends `lines`, one every `interval`, until the server closes the connection; returns what
    /// the server sent. Throws if the server has not closed it after all the lines.
    func trickle(_ lines: [String], every interval: Duration) async throws -> String {
        do {
            return try await trickleLines(lines, every: interval)
        } catch ChannelError.ioOnClosedChannel {
            return ""  // closed by the server before the client got going: what the test waits for
        } catch let error as IOError where error.errnoCode == ECONNRESET || error.errnoCode == EPIPE {
            return ""  // closed by the server with trickled bytes unread: a reset is a close too
        }
    }

    private func trickleLines(_ lines: [String], every interval: Duration) async throws -> String {
        try await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask {
                    var received = ""
                    for try await buffer in inbound { received += String(buffer: buffer) }
                    return received
                }
                group.addTask {
                    for line in lines {
                        do {
                            try await outbound.write(ByteBuffer(string: line))
                        } catch {
                            return nil  // the server closed the connection: what the test waits for
                        }
                        try await Task.sleep(for: interval)  // the slow client is the behaviour under test
                    }
                    throw LimitsHarnessError.timedOut("the server kept a trickling connection open")
                }
                while let result = try await group.next() {
                    if let received = result {
                        group.cancelAll()
                        return received
                    }
                }
                throw LimitsHarnessError.timedOut("no result")
            }
        }
    }

    /// Sends `request` and reads until the server closes the connection.
    func sendAndReadToEnd(_ request: String) async throws -> String {
        try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            var received = ""
            for try await buffer in inbound { received += String(buffer: buffer) }
            return received
        }
    }
}
