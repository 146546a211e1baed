import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TernCore
import TernHTTP

/// The portal's one stylesheet and one script, served by Tern under `/admin/static/` with the
/// first 12 hex digits of their SHA-256 in the name (`portal.3f2a….css`): a new build serves a
/// new URL, so answers may be cached for a year as immutable.
enum PortalAssets {
    struct Asset: Sendable {
        let name: String
        let contentType: String
        let body: [UInt8]
        let versionedName: String

        init(name: String, contentType: String, body: [UInt8]) {
            self.name = name
            self.contentType = contentType
            self.body = body
            let hash = lowercaseHex(SHA256.hash(data: body))
            let dot = name.lastIndex(of: ".") ?? name.endIndex
            versionedName = name[..<dot] + "." + hash.prefix(12) + name[dot...]
        }

        /// Where pages link to it.
        var path: String { "/admin/static/" + versionedName }
    }

    static let stylesheet = Asset(name: "portal.css", contentType: "text/css; charset=utf-8", body: PackageResources.portal_css)
    static let script = Asset(name: "portal.js", contentType: "text/javascript; charset=utf-8", body: PackageResources.portal_js)
    static let all = [stylesheet, script]

    /// `GET /admin/static/{file}`: only the current versioned names; anything else is a 404.
    @Sendable static func serve(_ request: Request, context: TernRequestContext) async throws -> Response {
        let file = context.parameters.get("file") ?? ""
        guard let asset = all.first(where: { $0.versionedName == file }) else {
            return Response(
                status: .notFound, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: "No such portal file: \(file.prefix(80))")))
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: asset.contentType, .cacheControl: "public, max-age=31536000, immutable",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: asset.body)))
    }
}
