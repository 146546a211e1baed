import NIOCore

/// Sits in each connection's pipeline and tells ``FakeLLMState`` when the client closed its side
/// (the server allows half-closure, so a request handler would not notice until it writes).
final class FakeLLMDisconnectWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let state: FakeLLMState

    init(state: FakeLLMState) { self.state = state }

    func handlerAdded(context: ChannelHandlerContext) {
        state.connectionOpened(ObjectIdentifier(context.channel))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            state.clientClosed(ObjectIdentifier(context.channel))
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.clientClosed(ObjectIdentifier(context.channel), forget: true)
        context.fireChannelInactive()
    }
}
