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
        /// The connection has closed completely; the entry stays while requests are in flight.
        var closed = false
        var client: String?
        var actions: [Int: @Sendable () -> Void] = [:]
        /// Requests between ``requestStarted(_:)`` and ``requestEnded(_:)``.
        var requestsInFlight = 0
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

    /// Counts a request of `connection` in, from before its handler runs to when its handler has
    /// returned (``PreStreamTaskMiddleware``). While one is in flight, the connection's entry
    /// outlives its close, so a handler that registers with ``onClientGone(_:_:)`` only after the
    /// client has gone (a turn registers once the turn gateway has started it, which may wait in
    /// the store) still learns of it, instead of finding no entry and never hearing.
    package func requestStarted(_ connection: ObjectIdentifier) {
        entries.withLock { entries in entries[connection]?.requestsInFlight += 1 }
    }

    /// Counts a request counted in by ``requestStarted(_:)`` out; the entry of a closed
    /// connection goes with its last request.
    package func requestEnded(_ connection: ObjectIdentifier) {
        entries.withLock { entries in
            guard var entry = entries[connection] else { return }
            entry.requestsInFlight -= 1
            entries[connection] = entry.closed && entry.requestsInFlight <= 0 ? nil : entry
        }
    }

    /// Closed connections whose entries wait for their requests to end, for tests.
    package var closedConnections: Int {
        entries.withLock { $0.values.count(where: \.closed) }
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
            guard let entry = entries[connection] else { return [] }
            if forget && entry.requestsInFlight <= 0 {
                entries[connection] = nil
            } else {
                entries[connection] = Entry(
                    gone: true, closed: forget || entry.closed, client: entry.client,
                    requestsInFlight: entry.requestsInFlight)
            }
            return Array(entry.actions.values)
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
