import Foundation
package import Logging
import ServiceLifecycle
package import TernCore

/// Keeps this process's instance alive in `instances` (see ``InstanceStore``): a beat every
/// ``InstanceLiveness/interval``, then `afterBeat` (expiring approvals whose instance is gone)
/// and pruning rows of instances gone for an hour. A failed beat is logged and retried at the
/// next interval; other replicas expire this instance's approvals if beats keep failing for
/// ``InstanceLiveness/staleAfter`` (and its waiting turns then read the expiry: fail closed).
/// On a graceful stop the instance's row is removed, within a second, so its pending approvals
/// count as gone at once.
package struct InstanceHeartbeatService: Service {
    private let instances: any InstanceStore
    private let instance: InstanceID
    private let liveness: InstanceLiveness
    private let clock: any WallClock
    private let afterBeat: @Sendable () async throws -> Void
    private let logger: Logger

    package init(
        instances: any InstanceStore, instance: InstanceID, liveness: InstanceLiveness,
        clock: any WallClock = SystemWallClock(), logger: Logger = Logger(label: "tern.jobs.instances"),
        afterBeat: @escaping @Sendable () async throws -> Void = {}
    ) {
        self.instances = instances
        self.instance = instance
        self.liveness = liveness
        self.clock = clock
        self.afterBeat = afterBeat
        self.logger = logger
    }

    /// One beat: this instance is alive now.
    package func beat() async throws {
        try await instances.beat(instance, at: clock.now())
    }

    package func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    try await Task.sleep(for: liveness.interval)
                    await beatOnce()
                }
            }
        } catch is CancellationError {
            // Stopping: the pause or a beat was interrupted.
        }
        await removeRow(within: .seconds(1))
    }

    private func beatOnce() async {
        do {
            try await beat()
            try await afterBeat()
            _ = try await instances.prune(notSeenSince: clock.now().addingTimeInterval(-3600))
        } catch is CancellationError {
            return
        } catch {
            logger.warning("instance heartbeat failed; retrying at the next beat", metadata: ["error": "\(error)"])
        }
    }

    /// Removes this instance's row, giving up after `limit` (an unreachable database must not
    /// hold up the stop; the row then goes stale by itself).
    private func removeRow(within limit: Duration) async {
        let done = OneShotSignal()
        let instances = self.instances
        let instance = self.instance
        let logger = self.logger
        let removal = Task {
            defer { done.fire() }
            do {
                try await instances.remove(instance)
            } catch {
                logger.warning("could not remove this instance's row; it goes stale by itself", metadata: ["error": "\(error)"])
            }
        }
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await done.wait()
                return true
            }
            group.addTask {
                do { try await Task.sleep(for: limit) } catch { return false }
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !finished {
            removal.cancel()
            logger.warning("removing this instance's row took too long; it goes stale by itself")
        }
    }
}
