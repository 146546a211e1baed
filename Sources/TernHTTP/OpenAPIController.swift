package import Hummingbird
import NIOCore

/// `GET /openapi.json`: the OpenAPI 3.1 document of this API (``OpenAPIDocument``), open to
/// everyone like the health probes, so clients and tools can read it before they have a key.
package struct OpenAPIController: Sendable {
    package init() {}

    package func addRoutes(to router: Router<TernRequestContext>) {
        // Built once; every answer shares the bytes.
        let body = ByteBuffer(string: OpenAPIDocument.jsonText)
        router.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
        }
    }
}
