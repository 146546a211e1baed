import Foundation

/// How Tern talks to the identity provider: discovery, key set, token endpoint.
///
/// The live one (TernApp) is a plain client with a deadline and a body cap: the issuer is set by
/// the admin (`TERN_OIDC_ISSUER`), not by users, so it does not go through the SSRF guard.
package protocol OIDCHTTPTransport: Sendable {
    /// `GET url`.
    func get(_ url: String) async throws -> OIDCHTTPResponse
    /// `POST url` with an `application/x-www-form-urlencoded` body of `form` and extra `headers`.
    func postForm(_ url: String, form: [(String, String)], headers: [(String, String)]) async throws -> OIDCHTTPResponse
}

/// A provider's answer: status and body (already capped by the transport).
package struct OIDCHTTPResponse: Sendable, Equatable {
    package var status: Int
    package var body: [UInt8]

    package init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

extension OIDCHTTPTransport {
    /// The JSON object at `url`, or a provider error naming `what` and why.
    func json(_ url: String, what: String) async throws -> [String: Any] {
        let response: OIDCHTTPResponse
        do {
            response = try await get(url)
        } catch {
            throw OIDCError.provider("fetching its \(what) (\(url)) failed: \(error)")
        }
        guard response.status == 200 else {
            throw OIDCError.provider("its \(what) (\(url)) answered HTTP \(response.status)")
        }
        return try OIDCForm.object(response.body, what: "its \(what) (\(url))")
    }
}

/// Encoding forms and reading JSON objects for the provider calls.
package enum OIDCForm {
    /// `application/x-www-form-urlencoded`.
    package static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    /// Percent-encodes everything but unreserved characters (RFC 3986), as forms and query strings need.
    static func escape(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    static func object(_ bytes: [UInt8], what: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {  // nil: reported
            throw OIDCError.provider("\(what) is not a JSON object")
        }
        return object
    }
}
