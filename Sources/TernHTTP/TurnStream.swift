import Hummingbird
import HTTPTypes
import NIOCore
import TernAgent
import TernCore

/// A turn's answer as server-sent events, shared by the OpenAI and agent APIs.
///
/// The first item is awaited before the response starts: the turn's first event, or the
/// keep-alive tick after ``ServerLimits/streamStartGrace``. A turn that fails at once (no model
/// configured, upstream down) so gets a real HTTP status instead of a 200 stream, and a slow
/// model does not hold the headers. While the model is silent an SSE comment (`: keep-alive`)
/// goes out every ``ServerLimits/streamKeepAlive``, so proxies with short read timeouts keep
/// the connection.
enum TurnStream {
    /// An SSE comment: clients ignore it, proxies see traffic.
    static let keepAliveFrame = ByteBuffer(string: ": keep-alive\n\n")

    /// The SSE response; `write` renders the items (the first one included) and the ending.
    /// `release` runs once the turn's response is done, or failed before it started.
    static func response(
        _ turn: Turn, release: @escaping @Sendable () -> Void,
        write: @escaping @Sendable (inout TurnItems, inout any ResponseBodyWriter) async throws -> Void
    ) async throws -> Response {
        var iterator = turn.items.makeAsyncIterator()
        let first: TurnItem?
        do {
            first = try await iterator.next()
        } catch {
            release()
            throw error
        }
        let body = ResponseBody { writer in
            defer { release() }
            var items = TurnItems(first: first, rest: turn)
            try await write(&items, &writer)
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/event-stream", .cacheControl: "no-cache", HTTPField.Name("X-Accel-Buffering")!: "no",
            ],
            body: body)
    }

    /// Whether an error came from writing to a client that disconnected (nothing to tell it),
    /// rather than from the turn.
    static func isClientGone(_ error: any Error) -> Bool {
        !(error is ModelError || error is StoreError || error is APIError || error is AgentError)
    }
}

/// The items of a turn's stream: the one the handler awaited first, then the rest.
struct TurnItems {
    private var first: TurnItem?
    private var rest: AsyncThrowingStream<TurnItem, any Error>.AsyncIterator

    init(first: TurnItem?, rest turn: Turn) {
        self.first = first
        self.rest = turn.items.makeAsyncIterator()
    }

    mutating func next() async throws -> TurnItem? {
        if let item = first {
            first = nil
            return item
        }
        return try await rest.next()
    }
}

extension ServerLimits {
    /// The keep-alive ticks of a streamed turn.
    var keepAlive: KeepAlive { KeepAlive(grace: streamStartGrace, interval: streamKeepAlive) }
}

extension ConnectionWatch {
    /// Cancels `turn` as soon as the client of `connection` hangs up (the agent then stores the
    /// partial answer). Call the returned release when the turn's response is done, so a
    /// keep-alive connection does not collect one registration per request.
    func cancelOnHangUp(_ turn: Turn, connection: ObjectIdentifier) -> @Sendable () -> Void {
        let watch = onClientGone(connection) { turn.cancel() }
        return { [self] in forget(connection, watch) }
    }
}
