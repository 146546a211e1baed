import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TernCore
import TernStore

/// Runs the leader-only services (Telegram polling with its offset pruning, retention, later
/// the scheduler) only while this process leads (see ``LeaderElection``). They share one
/// leadership: one lock, one term, so with several replicas on PostgreSQL exactly one of them
/// polls Telegram and deletes old history, and the others wait to take over.
///
/// During a term the services run in a service group of their own. When the lock is lost, that
/// group shuts down gracefully at once (the long poll is cancelled, the offset stays where it
/// was confirmed, running turns get their grace) and is cancelled after the election's stop
/// grace. On the server's graceful shutdown a leader stops its services the same way and
/// releases the lock; a follower (waiting, or reconnecting after an error) just stops.
struct LeaderOnlyService: Service {
    let election: LeaderElection
    let services: [any Service]
    let logger: Logger
    /// How long the services get to stop gracefully before they are cancelled.
    var stopGrace: Duration = .seconds(3)

    func run() async throws {
        guard !services.isEmpty else { return }
        let control = LeadershipControl()
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await election.run { term in try await lead(term, control: control) } }
                // Ends the election when the server stops while this process does not lead.
                tasks.addTask { await control.abandoned.wait() }
                try await withGracefulShutdownHandler {
                    _ = try await tasks.next()
                    tasks.cancelAll()
                } onGracefulShutdown: {
                    control.shutdown()
                }
            }
        } catch is CancellationError where control.isStopping {
            // A follower stopped by the server's shutdown: a normal stop.
        }
    }

    /// One term: the services in a group of their own until the term is lost or the server stops.
    private func lead(_ term: LeaderTerm, control: LeadershipControl) async throws {
        var configuration = ServiceGroupConfiguration(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [], logger: logger)
        configuration.maximumGracefulShutdownDuration = stopGrace
        let group = ServiceGroup(configuration: configuration)
        guard control.begin(group) else { return }  // the server is stopping already
        defer { control.end() }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                await term.lost()
                if term.isLost { await group.triggerGracefulShutdown() }
            }
            _ = try await tasks.next()
            tasks.cancelAll()
        }
    }
}

/// What the shutdown handler needs to know about the current term.
private final class LeadershipControl: Sendable {
    private struct State {
        var group: ServiceGroup?
        var stopping = false
    }

    private let state = Mutex(State())
    /// Fires when the server stops while no term runs.
    let abandoned = OneShotSignal()

    var isStopping: Bool { state.withLock { $0.stopping } }

    /// Records the term's group; `false` when the server is already stopping.
    func begin(_ group: ServiceGroup) -> Bool {
        state.withLock { state in
            guard !state.stopping else { return false }
            state.group = group
            return true
        }
    }

    func end() { state.withLock { $0.group = nil } }

    /// The server stops: a running term shuts its group down gracefully; otherwise the election ends.
    func shutdown() {
        let group = state.withLock { state in
            state.stopping = true
            return state.group
        }
        if let group {
            Task { await group.triggerGracefulShutdown() }
        } else {
            abandoned.fire()
        }
    }
}
