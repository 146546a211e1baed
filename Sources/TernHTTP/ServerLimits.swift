/// How long and how much the HTTP server lets a client take: connection deadlines, the number of
/// open connections, request bodies and the keep-alive comments of streamed answers.
///
/// One value, built from the configuration by the composition root and held by
/// ``ConnectionWatch``, which serves the router and the server alike.
package struct ServerLimits: Sendable, Equatable {
    /// A request's head (request line and headers) must arrive whole within this time of its
    /// first byte (for a connection's first request: of the connection opening). Closes
    /// slow-loris connections that trickle a header line every few seconds.
    package var headerTimeout: Duration
    /// A keep-alive connection with no request in flight is closed after this long.
    package var idleTimeout: Duration
    /// Connections open at once; more wait in the listen backlog until one closes.
    package var maxConnections: Int
    /// Requests served on one keep-alive connection; the last answer says `Connection: close`.
    package var maxRequestsPerConnection: Int
    /// The largest body the OpenAI routes accept (`TERN_MAX_BODY_MB`); other routes keep their
    /// own smaller caps.
    package var maxChatBodyBytes: Int
    /// A streamed answer sends an SSE comment (`: keep-alive`) after this long without a frame,
    /// so proxies with short read timeouts keep the connection.
    package var streamKeepAlive: Duration
    /// How long a streamed answer waits for the turn's first event before sending its headers:
    /// a turn that fails within it gets a real HTTP status, a slow model does not hold the headers.
    package var streamStartGrace: Duration

    /// The documented defaults.
    package init(
        headerTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60), maxConnections: Int = 1000,
        maxRequestsPerConnection: Int = 1000, maxChatBodyBytes: Int = 4 * 1024 * 1024,
        streamKeepAlive: Duration = .seconds(15), streamStartGrace: Duration = .seconds(2)
    ) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.maxRequestsPerConnection = maxRequestsPerConnection
        self.maxChatBodyBytes = maxChatBodyBytes
        self.streamKeepAlive = streamKeepAlive
        self.streamStartGrace = streamStartGrace
    }
}

extension Duration {
    /// Whole nanoseconds, for NIO's `TimeAmount`.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
