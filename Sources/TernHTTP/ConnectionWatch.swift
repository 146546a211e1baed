package import Hummingbird
package import HummingbirdCore
package import Logging
import NIOCore
import Synchronization

/// Tells request handlers when their client has hung up, and holds the limits every connection
/// is served under.
///
/// The HTTP server allows half-closure and reads no further while a handler runs, so a handler
/// would only notice a gone client at its next write. A small channel handler in each
/// connection's pipeline sees the close at once; turns register to be cancelled then.
package final class ConnectionWatch: Sendable {
    private struct Entry {
        var gone = false
        var client: String?
        var actions: [Int: @Sendable () -> Void] = [:]
    }

    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])
    private let nextID = Mutex(0)
    /// Deadlines, connection and body limits, stream keep-alives.
    package let limits: ServerLimits
    /// Whose `X-Forwarded-For` names the client (see ``clientAddress(of:context:)``).
    package let trustedProxies: TrustedProxies
    private let logger: Logger

    package init(
        limits: ServerLimits = .init(), trustedProxies: TrustedProxies = .none, logger: Logger = Logger(label: "tern.http")
    ) {
        self.limits = limits
        self.trustedProxies = trustedProxies
        self.logger = logger
    }

    /// The HTTP/1 server with a watcher and the request-head deadline in every connection, and
    /// the idle timeout between requests.
    package var serverBuilder: HTTPServerBuilder {
        let limits = limits
        let logger = logger
        return .http1(
            configuration: .init(
                additionalChannelHandlers: [
                    Watcher(watch: self), RequestHeadDeadline.makeHandler(limits: limits, logger: logger),
                ],
                idleTimeout: .nanoseconds(limits.idleTimeout.nanoseconds)))
    }

    /// The address `connection` comes from (IP without port): the client, or a proxy in front
    /// of it; ``clientAddress(of:context:)`` tells which.
    package func peerAddress(of connection: ObjectIdentifier) -> String? {
        entries.withLock { $0[connection]?.client }
    }

    /// Runs `action` once when the client of `connection` hangs up (at once if it already has).
    /// Call ``forget(_:_:)`` with the returned ID when the work is done, so a long-lived
    /// keep-alive connection does not collect one action per request.
    @discardableResult
    package func onClientGone(_ connection: ObjectIdentifier, _ action: @escaping @Sendable () -> Void) -> Int {
        let id = nextID.withLock { value in
            value += 1
            return value
        }
        let runNow = entries.withLock { entries -> Bool in
            guard var entry = entries[connection], !entry.gone else { return entries[connection] != nil }
            entry.actions[id] = action
            entries[connection] = entry
            return false
        }
        if runNow { action() }
        return id
    }

    /// Drops a registration made by ``onClientGone(_:_:)``.
    package func forget(_ connection: ObjectIdentifier, _ id: Int) {
        entries.withLock { entries in _ = entries[connection]?.actions.removeValue(forKey: id) }
    }

    /// How many registrations are pending, for tests.
    package var pendingActions: Int {
        entries.withLock { $0.values.reduce(0) { $0 + $1.actions.count } }
    }

    fileprivate func opened(_ connection: ObjectIdentifier, client: String?) {
        entries.withLock { $0[connection] = Entry(client: client) }
    }

    fileprivate func gone(_ connection: ObjectIdentifier, forget: Bool) {
        let actions = entries.withLock { entries -> [@Sendable () -> Void] in
            let actions = entries[connection].map { Array($0.actions.values) } ?? []
            if forget {
                entries[connection] = nil
            } else {
                entries[connection] = Entry(gone: true, client: entries[connection]?.client)
            }
            return actions
        }
        for action in actions { action() }
    }

    private final class Watcher: ChannelInboundHandler, RemovableChannelHandler, Sendable {
        typealias InboundIn = NIOAny
        let watch: ConnectionWatch

        init(watch: ConnectionWatch) { self.watch = watch }

        func handlerAdded(context: ChannelHandlerContext) {
            let address = context.channel.remoteAddress
            watch.opened(ObjectIdentifier(context.channel), client: address?.ipAddress ?? address?.description)
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? ChannelEvent, event == .inputClosed {
                watch.gone(ObjectIdentifier(context.channel), forget: false)
            }
            context.fireUserInboundEventTriggered(event)
        }

        func channelInactive(context: ChannelHandlerContext) {
            watch.gone(ObjectIdentifier(context.channel), forget: true)
            context.fireChannelInactive()
        }
    }
}
