package import Foundation
package import HTTPTypes
package import Hummingbird
package import Logging
import NIOCore
import NIOFoundationCompat
package import TernAgent
package import TernCore

/// Writes one audit entry for every change made through the routes it guards (the admin API,
/// approval decisions): any method but GET/HEAD/OPTIONS that succeeded. The one place the API
/// audits, so a route added later is audited without its own code.
///
/// An entry names the caller (user id, `api`, the client address as ``ConnectionWatch`` sees
/// it), the route (`PUT contexts/{id}/credentials/{name}`), the object (the route's last
/// collection and its last parameter, or the created object's `id`/`name`), the context (the
/// route's `{id}` under `contexts/`), `after`: the request's JSON body with secrets masked
/// (``AuditMask``; a credential's `value` never reaches the log), and the answer's status.
package struct AuditMiddleware: RouterMiddleware {
    package typealias Context = TernRequestContext
    let store: any AuditStore
    let connections: ConnectionWatch
    let clock: any WallClock
    let logger: Logger

    package init(store: any AuditStore, connections: ConnectionWatch, clock: any WallClock, logger: Logger) {
        self.store = store
        self.connections = connections
        self.clock = clock
        self.logger = logger
    }

    package func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard ![.get, .head, .options].contains(request.method) else { return try await next(request, context) }
        var request = request
        // Kept for the entry; the handlers read bodies of at most 64 KiB, so this reads no more. A
        // larger body is refused here with the handlers' 413 (NIOTooManyBytesError): a body read
        // part-way cannot be read again, and the handler would see an empty one.
        let body = try await request.collectBody(upTo: 64 * 1024)
        let response = try await next(request, context)
        guard (200..<300).contains(response.status.code), let identity = context.identity else { return response }
        let route = Self.route(context.endpointPath ?? request.uri.path)
        let object = Self.object(route: route, parameters: context.parameters)
        var after: [String: JSONValue] = ["status": .number(Double(response.status.code))]
        // A body that is not a JSON object (none, or bad JSON the handler refused) adds nothing.
        if case .object(let fields)? = try? JSONValue(parsing: Data(buffer: body)) {
            after.merge(fields) { status, _ in status }
        }
        let entry = AuditEntry(
            at: clock.now(),
            actor: AuditActor(
                actor: identity.user.id.rawValue, via: .api, from: connections.clientAddress(of: request, context: context)),
            action: "\(request.method.rawValue) \(route)", objectType: object.type, objectID: object.id,
            contextID: route.hasPrefix("contexts/{id}") ? context.parameters.get("id").map { ContextID($0) } : nil,
            after: .object(after))
        do {
            try await store.record(entry)
        } catch {
            // The change is made; the answer stands. The failure must be seen.
            logger.error(
                "could not write an audit entry", metadata: ["action": "\(entry.action)", "error": "\(error)"])
        }
        return response
    }

    /// The route pattern without its prefix, parameters as `{name}`: `contexts/{id}/members`.
    static func route(_ path: String) -> String {
        var segments = path.split(separator: "/").map(String.init)
        if let v1 = segments.firstIndex(of: "v1") { segments.removeSubrange(...v1) }
        return segments.map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : $0 }.joined(separator: "/")
    }

    /// The changed object: the route's last collection (singular) and its last parameter.
    static func object(route: String, parameters: Parameters) -> (type: String, id: String) {
        let segments = route.split(separator: "/").map(String.init)
        let collection = segments.last { !$0.hasPrefix("{") } ?? "unknown"
        let type = collection.hasSuffix("s") ? String(collection.dropLast()) : collection
        let id = segments.last { $0.hasPrefix("{") }.flatMap { parameters.get(String($0.dropFirst().dropLast())) } ?? "-"
        return (type, id)
    }
}
