import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TernApp
import TernCore
import TernHTTP
import Testing

/// A signed-in browser of `tern serve` (``LiveTern``): its cookie and CSRF token, and helpers
/// to get pages and post forms the way a browser does.
struct PortalBrowser: Sendable {
    let client: any TestClientProtocol
    let cookie: String
    let csrf: String
    let user: User

    /// Provisions `email` with `role` (unless it exists) and signs it in through a break-glass link.
    static func signIn(
        _ dependencies: Dependencies, _ client: any TestClientProtocol, email: String, role: UserRole = .admin
    ) async throws -> PortalBrowser {
        let user =
            if let existing = try await dependencies.tenants.user(email: email) {
                existing
            } else {
                try await dependencies.tenants.provisionUser(email: email, displayName: email, role: role).0
            }
        let token = try await dependencies.portal.loginLinks.createLoginLink(
            for: user.id, expiresAt: Date().addingTimeInterval(600))
        let opened = try await client.execute(uri: "/admin/login-link/\(token)", method: .get)
        let setCookie = try #require(opened.headers[.setCookie])
        let cookie = String(setCookie.split(separator: ";")[0])
        let home = try await client.execute(uri: "/admin/", method: .get, headers: [.cookie: cookie])
        let csrf = try #require(String(buffer: home.body).firstMatch(of: #/name="csrf-token" content="([^"]+)"/#)?.output.1)
        return PortalBrowser(client: client, cookie: cookie, csrf: String(csrf), user: user)
    }

    /// `GET path` with the session cookie.
    func get(_ path: String) async throws -> (status: HTTPResponse.Status, html: String, headers: HTTPFields) {
        let response = try await client.execute(uri: path, method: .get, headers: [.cookie: cookie])
        return (response.status, String(buffer: response.body), response.headers)
    }

    /// `POST path` with `fields` as a form and the session cookie; `csrf` is the token field to
    /// send (`.none`: the session's own; `.some(nil)`: none at all).
    func post(
        _ path: String, _ fields: [String: String], csrf: String?? = .none, headers extra: HTTPFields = [:]
    ) async throws -> (status: HTTPResponse.Status, html: String, headers: HTTPFields) {
        var fields = fields
        switch csrf {
        case .none: fields["csrf"] = self.csrf
        case .some(.some(let token)): fields["csrf"] = token
        case .some(.none): break
        }
        let body = fields.sorted { $0.key < $1.key }.map { "\(Self.encode($0.key))=\(Self.encode($0.value))" }
            .joined(separator: "&")
        var headers: HTTPFields = [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"]
        headers.append(contentsOf: extra)
        let response = try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
        return (response.status, String(buffer: response.body), response.headers)
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    /// The value of the first hidden input `name` in `html`.
    static func hidden(_ name: String, in html: String) throws -> String {
        let pattern = try Regex("name=\"\(name)\" value=\"([^\"]+)\"")
        let match = try #require(html.firstMatch(of: pattern), "no hidden field \(name)")
        return try #require(match.output[1].substring.map(String.init))
    }
}
