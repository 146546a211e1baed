import AsyncHTTPClient
import Foundation
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import TernApp
import TernCore
import TernTesting
import Testing
@testable import TernHTTP

/// A client that hangs up while its turn is still being started (the turn gateway waiting for
/// the store, before any response exists) still cancels the turn: the work before the response
/// runs in a child task of the connection's (``PreStreamTaskMiddleware``), and the hang-up watch it
/// registers must still reach the turn.
@Suite(.timeLimit(.minutes(1))) struct PreStreamHangUpTests {
    static let apiKey = "prestream-key-0123456789abcdef"

    /// How the client leaves: AsyncHTTPClient closes its connection (the server sees the input
    /// close), or a client resets it (the server's connection closes completely before the turn
    /// registered for the hang-up: the entry must outlive the close while the request is in flight).
    enum Leaving: CaseIterable, Sendable { case close, reset }

    @Test(arguments: [false, true], Leaving.allCases)
    func hangUpWhileTheGatewayWaits_cancelsTheTurn(_ stream: Bool, _ leaving: Leaving) async throws {
        let fake = try await FakeLLMServer.start()
        fake.enqueue(.hang)  // a turn nobody cancels would wait for this model for ever
        // The turn gateway waits in the store until the test lets it go on.
        let (entered, release) = (OneShotSignal(), OneShotSignal())
        let recorder = Mutex<RecordingConversationStore?>(nil)
        var logger = Logger(label: "tern.test")
        logger.logLevel = .critical
        // One turn at a time: its slot is free again only once the turn's handler has ended.
        let limiter = RateLimiter(
            settings: RateLimitSettings(standard: .init(perMinute: 0, burst: 1, maxConcurrentTurns: 1)), logger: logger)
        let conversations: @Sendable (any ConversationStore) -> any ConversationStore = { base in
            let store = RecordingConversationStore(base) {
                entered.fire()
                await release.wait()
            }
            recorder.withLock { $0 = store }
            return store
        }
        let overrides = DependencyOverrides(conversations: conversations, rateLimiter: limiter)
        do {
            try await LiveTern.run(
                environment: ["TERN_API_KEYS": Self.apiKey, "TERN_LLM_BASE_URL": fake.baseURL],
                configure: { $0.server.streamStartGrace = .seconds(60) }, overrides: overrides
            ) { dependencies, client in
                let store = try #require(recorder.withLock { $0 })
                let port = try #require(client.port)
                switch leaving {
                case .close:
                    var request = chatRequest(port: port, body: chatBody("hang up early", stream: stream))
                    request.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(Self.apiKey)")
                    let http = HTTPClient(eventLoopGroupProvider: .singleton)
                    let caller = Task { try await http.execute(request, timeout: .seconds(50)) }
                    await entered.wait()  // the gateway is opening the conversation
                    caller.cancel()  // the client gives up and closes its connection
                    _ = await caller.result
                    try await http.shutdown().get()
                case .reset:
                    let body = String(buffer: chatBody("hang up early", stream: stream))
                    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                        .connect(host: "127.0.0.1", port: port).get()
                    let options = try #require(channel as? any SocketOptionProvider)
                    try await options.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
                    try await channel.writeAndFlush(
                        ByteBuffer(
                            string: "POST /v1/chat/completions HTTP/1.1\r\nHost: tern\r\n"
                                + "Authorization: Bearer \(Self.apiKey)\r\nContent-Type: application/json\r\n"
                                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
                    ).get()
                    await entered.wait()
                    try await channel.close().get()  // SO_LINGER 0: a reset
                    // The server's connection is closed before the turn registers for the hang-up;
                    // its entry stays while the request is in flight.
                    do {
                        try await poll("the server to see the reset") { dependencies.connections.closedConnections == 1 }
                    } catch {
                        release.fire()
                        throw error
                    }
                }
                release.fire()
                // The turn ends although its model never answers: the hang-up cancelled it.
                await limiter.turns.waitUntil("user:\(UserID.localUser.rawValue)", runsAtMost: 0)
                if !fake.chatRequests().isEmpty { await fake.waitForClientDisconnects(count: 1) }
                #expect(dependencies.connections.pendingActions == 0)
                // The closed connection's entry went with its request.
                try await poll("the connection's entry to go") { dependencies.connections.closedConnections == 0 }
                // The user's message was stored before anything else happened, and is kept.
                #expect(await store.next { $0.role == .user }?.content == "hang up early")
            }
        } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
    }
}
