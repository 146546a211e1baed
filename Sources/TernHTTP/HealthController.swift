package import Foundation
package import Hummingbird
package import Logging
import NIOFoundationCompat
package import TernCore

/// `GET /healthz` (the process answers) and `GET /readyz` (the store answers; the model
/// server's state from the background check is reported but never waited for, and so is this
/// replica's part in the leader election: a follower serves the API as well as the leader).
package struct HealthController: Sendable {
    let store: any StoreHealth
    let model: ModelReachability
    let leader: (@Sendable () -> String)?
    /// How long `/readyz` waits for the store: a probe must get an answer (503) while the
    /// database is unreachable, not wait out the pool's connect timeout.
    let pingLimit: Duration

    package init(
        store: any StoreHealth, model: ModelReachability, leader: (@Sendable () -> String)? = nil,
        pingLimit: Duration = .seconds(2)
    ) {
        self.store = store
        self.model = model
        self.leader = leader
        self.pingLimit = pingLimit
    }

    package func addRoutes(to router: Router<TernRequestContext>) {
        router.get("healthz") { _, _ in
            json(.ok, ["status": "ok"])
        }
        router.get("readyz") { _, context in
            var fields = ["llm": model.current.summary]
            if let leader { fields["leader"] = leader() }
            do {
                let limit = pingLimit
                try await withTimeLimit(
                    limit, orThrow: { StoreError.database("the store did not answer within \(limit.shortDescription)") }
                ) { try await store.ping() }
            } catch {
                context.logger.error("readiness check: store failed", metadata: ["error": "\(error)"])
                return json(.serviceUnavailable, fields.merging(["status": "not_ready", "store": "error"]) { $1 })
            }
            return json(.ok, fields.merging(["status": "ready", "store": "ok"]) { $1 })
        }
    }

    private func json(_ status: HTTPResponse.Status, _ fields: [String: String]) -> Response {
        // A flat string dictionary always encodes.
        let data = (try? JSONEncoder.tern.encode(fields)) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(data: data)))
    }
}
