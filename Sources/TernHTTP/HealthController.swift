import Foundation
import Hummingbird
import TernCore

/// `GET /healthz` (the process answers) and `GET /readyz` (the store answers; the model
/// server's state from the background check is reported but never waited for).
package struct HealthController: Sendable {
    let store: any StoreHealth
    let model: ModelReachability

    package init(store: any StoreHealth, model: ModelReachability) {
        self.store = store
        self.model = model
    }

    package func addRoutes(to router: Router<TernRequestContext>) {
        router.get("healthz") { _, _ in
            json(.ok, ["status": "ok"])
        }
        router.get("readyz") { _, context in
            let llm = model.current.summary
            do {
                try await store.ping()
            } catch {
                context.logger.error("readiness check: store failed", metadata: ["error": "\(error)"])
                return json(.serviceUnavailable, ["status": "not_ready", "store": "error", "llm": llm])
            }
            return json(.ok, ["status": "ready", "store": "ok", "llm": llm])
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
