import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request head does not arrive whole in time, and ends keep-alive
/// connections after a number of requests.
///
/// An idle timeout alone does not stop a slow-loris client: one header line every few seconds
/// keeps the connection busy forever. The deadline starts when a connection opens (its first
/// request) or at the first byte of a later request (the idle timeout covers the wait between
/// requests), and ends when the HTTP decoder delivers the head.
///
/// Two handlers share one state: ``RawBytes`` sits before the HTTP decoder and sees the first
/// byte of a request; ``Parts`` sits after it and sees heads and the answers' ends. Both run on
/// the connection's event loop, so the state needs no lock.
enum RequestHeadDeadline {
    /// The handler that goes after the HTTP decoder; it adds its partner in front of the decoder.
    static func makeHandler(limits: ServerLimits, logger: Logger) -> any RemovableChannelHandler {
        Parts(state: State(timeout: limits.headerTimeout, maxRequests: limits.maxRequestsPerConnection, logger: logger))
    }

    final class State {
        let timeout: Duration
        let maxRequests: Int
        let logger: Logger
        /// Heads received and answers ended; equal while no request is in flight (pipelined
        /// heads can arrive before earlier answers end).
        var heads = 0
        var answersEnded = 0
        var answersStarted = 0
        var closeAfterAnswer = false
        var awaitingHead: Bool { heads == answersEnded }
        var timer: Scheduled<Void>?

        init(timeout: Duration, maxRequests: Int, logger: Logger) {
            self.timeout = timeout
            self.maxRequests = maxRequests
            self.logger = logger
        }

        func arm(_ context: ChannelHandlerContext) {
            guard timer == nil else { return }
            let channel = context.channel
            let logger = logger
            timer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(timeout.nanoseconds)) {
                logger.debug(
                    "closing a connection whose request head did not arrive in time",
                    metadata: ["client": "\(channel.remoteAddress?.description ?? "unknown")"])
                channel.close(promise: nil)
            }
        }

        func disarm() {
            timer?.cancel()
            timer = nil
        }
    }

    /// Before the decoder: the first byte of a request starts its deadline.
    final class RawBytes: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        let state: State

        init(state: State) { self.state = state }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if state.awaitingHead { state.arm(context) }
            context.fireChannelRead(data)
        }
    }

    /// After the decoder: a head stops the deadline; the end of an answer waits for the next
    /// request, or closes the connection after its last allowed request.
    final class Parts: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart
        typealias OutboundIn = HTTPResponsePart
        typealias OutboundOut = HTTPResponsePart
        let state: State

        init(state: State) { self.state = state }

        func handlerAdded(context: ChannelHandlerContext) {
            do {
                try context.pipeline.syncOperations.addHandler(RawBytes(state: state), position: .first)
            } catch {
                state.logger.error("cannot watch request heads; closing the connection", metadata: ["error": "\(error)"])
                context.close(promise: nil)
                return
            }
            // The first request's deadline runs from the connection opening: a client that
            // connects and sends nothing holds a connection too.
            state.arm(context)
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            state.disarm()
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.disarm()
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .head = unwrapInboundIn(data) {
                state.disarm()
                state.heads += 1
            }
            context.fireChannelRead(data)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            switch unwrapOutboundIn(data) {
            case .head(var head) where head.status.kind != .informational:
                state.answersStarted += 1
                if state.answersStarted >= state.maxRequests { head.headerFields[.connection] = "close" }
                if head.headerFields[.connection]?.lowercased() == "close" { state.closeAfterAnswer = true }
                context.write(wrapOutboundOut(.head(head)), promise: promise)
            case .end:
                state.answersEnded += 1
                guard state.closeAfterAnswer else {
                    context.write(data, promise: promise)
                    return
                }
                let written = context.eventLoop.makePromise(of: Void.self)
                context.writeAndFlush(data, promise: written)
                let channel = context.channel
                written.futureResult.whenComplete { _ in channel.close(promise: nil) }
                if let promise { written.futureResult.cascade(to: promise) }
            default:
                context.write(data, promise: promise)
            }
        }
    }
}
