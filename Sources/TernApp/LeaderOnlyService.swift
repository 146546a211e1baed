import Logging
import ServiceLifecycle
import TernStore

/// Runs a service only while this process leads (see ``LeaderElection``): with several
/// replicas on PostgreSQL exactly one polls Telegram; the others wait to take over.
struct LeaderOnlyService: Service {
    let election: LeaderElection
    let inner: any Service

    func run() async throws {
        try await election.run(sleep: { wait in
            // Waiting to lead ends with the server.
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
        }) {
            try await inner.run()
        }
    }
}
