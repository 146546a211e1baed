import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The lifecycle every fake HTTP server shares (the fake LLM, the fake Bot API): a Hummingbird
/// application on a loopback port in a service group of its own, started by ``start(router:host:port:serverName:logger:channelHandlers:onStop:)``
/// (which returns once it accepts connections, with the port the OS chose) and ended by
/// ``stop()``.
final class FakeHTTPServer: Sendable {
    /// The host the server listens on.
    let host: String
    /// The port the OS chose (or the one asked for).
    let port: Int
    private let serviceGroup: ServiceGroup
    private let runTask: Task<Void, Never>
    /// Wakes what the fake's handlers wait on (parked long polls, frozen replies), so the graceful
    /// shutdown does not wait for them.
    private let onStop: @Sendable () -> Void
    private let stopped = Mutex(false)

    private init(
        host: String, port: Int, serviceGroup: ServiceGroup, runTask: Task<Void, Never>,
        onStop: @escaping @Sendable () -> Void
    ) {
        self.host = host
        self.port = port
        self.serviceGroup = serviceGroup
        self.runTask = runTask
        self.onStop = onStop
    }

    /// Serves `router` on `host:port` (port 0 lets the OS choose) and returns once the server
    /// accepts connections; throws what ended it if it stopped first. `channelHandlers` makes the
    /// extra handlers of each new connection. `onStop` runs once, before the server shuts down,
    /// also when the start fails.
    static func start<Responder: HTTPResponderBuilder>(
        router: Responder, host: String, port: Int, serverName: String?, logger: Logger,
        channelHandlers: @escaping @Sendable () -> [any RemovableChannelHandler] = { [] },
        onStop: @escaping @Sendable () -> Void
    ) async throws -> FakeHTTPServer
    where Responder.Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
        let started = FakeServerStartup()
        let application = Application(
            router: router, server: .http1(configuration: .init(additionalChannelHandlers: channelHandlers())),
            configuration: .init(address: .hostname(host, port: port), serverName: serverName),
            onServerRunning: { channel in started.finish(.success(channel.localAddress?.port ?? port)) },
            logger: logger
        )
        let serviceGroup = ServiceGroup(
            configuration: .init(services: [application], gracefulShutdownSignals: [], logger: logger))
        let runTask = Task {
            do {
                try await serviceGroup.run()
                started.finish(.failure(FakeServerStartupError.stoppedBeforeStart))
            } catch {
                logger.error(
                    "fake server failed", metadata: ["server": "\(serverName ?? "")", "error": "\(error)"])
                started.finish(.failure(error))
            }
        }
        let actualPort: Int
        do {
            actualPort = try await started.port()
        } catch {
            onStop()
            runTask.cancel()
            await runTask.value
            throw error
        }
        logger.debug("fake server started", metadata: ["server": "\(serverName ?? "")", "port": "\(actualPort)"])
        return FakeHTTPServer(host: host, port: actualPort, serviceGroup: serviceGroup, runTask: runTask, onStop: onStop)
    }

    /// Stops the server: `onStop` wakes waiting handlers, then a graceful shutdown, then (if that
    /// takes more than a few seconds) cancellation; returns once it has stopped. Safe to call more
    /// than once.
    func stop() async {
        let alreadyStopped = stopped.withLock { stopped in
            defer { stopped = true }
            return stopped
        }
        if !alreadyStopped {
            onStop()
            await serviceGroup.triggerGracefulShutdown()
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.runTask.value }
            group.addTask {
                do {
                    try await Task.sleep(for: .seconds(5))
                } catch {
                    return  // the server finished first; nothing to cancel
                }
                self.runTask.cancel()
            }
            await group.next()
            group.cancelAll()
        }
        await runTask.value
    }
}
