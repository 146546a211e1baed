import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import TernCore

/// A link a page offers (navigation, "start again").
struct PortalLink: Sendable {
    var label: String
    var href: String
    var current = false
}

/// What the layout shows around every page: title, who is signed in, the navigation, and the
/// CSRF token that forms and portal.js send back.
struct PortalLayout: Sendable {
    /// The navigation, in this order, with exactly these labels; every page's route is its `href`.
    static let navigation: [(label: String, href: String)] = [
        ("Dashboard", "/admin/"), ("Contexts", "/admin/contexts"), ("Conversations", "/admin/conversations"),
        ("Users", "/admin/users"), ("Approvals", "/admin/approvals"), ("Credentials", "/admin/credentials"),
        ("MCP servers", "/admin/mcp-servers"), ("Skills", "/admin/skills"), ("Diagnostics", "/admin/diagnostics"),
        ("Settings", "/admin/settings"), ("Audit log", "/admin/audit"),
    ]

    var title: String
    var csrf = ""
    var stylesheet = PortalAssets.stylesheet.path
    var script = PortalAssets.script.path
    var signedIn = false
    var userName = ""
    var userRole = ""
    var nav: [PortalLink] = []
    var accountCurrent = false

    init(title: String, visit: PortalVisit?, section: String?) {
        self.title = title
        guard let visit else { return }
        signedIn = true
        csrf = visit.csrf
        userName = visit.user.email ?? visit.user.displayName
        userRole = visit.user.role.rawValue
        nav = Self.navigation.map { PortalLink(label: $0.label, href: $0.href, current: $0.label == section) }
        accountCurrent = section == "My account"
    }
}

/// What a template renders: the layout's fields under `layout`, the page's model under `page`.
struct PortalEnvelope<Model: Sendable>: Sendable {
    let layout: PortalLayout
    let page: Model
}

/// The model of ``PortalPage/problem(_:_:visit:next:headers:)``.
struct ProblemModel: Sendable {
    let message: String
    let hasNext: Bool
    let nextLabel: String
    let nextHref: String

    init(message: String, next: PortalLink?) {
        self.message = message
        hasNext = next != nil
        nextLabel = next?.label ?? ""
        nextHref = next?.href ?? ""
    }
}

/// The portal's HTML answers: Mustache templates (escaped by default; no template uses the
/// triple mustache), never cached, no inline script (the CSP allows only this server's own
/// script and stylesheet), and no `Referer` leaking a login link or code to another site.
enum PortalPage {
    /// The Content-Security-Policy of every page.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// Renders `template` with `model` inside the layout; `section` is the navigation label to mark.
    static func render<Model: Sendable>(
        _ template: String, title: String, model: Model, visit: PortalVisit?, section: String? = nil,
        status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]
    ) -> Response {
        html(status: status, text(template, title: title, model: model, visit: visit, section: section), headers: headers)
    }

    /// The HTML of `template` with `model` inside the layout.
    static func text<Model: Sendable>(
        _ template: String, title: String, model: Model, visit: PortalVisit?, section: String? = nil
    ) -> String {
        let envelope = PortalEnvelope(layout: PortalLayout(title: title, visit: visit, section: section), page: model)
        guard let text = PortalTemplates.library.render(envelope, withTemplate: template) else {
            preconditionFailure("no portal template named \(template)")
        }
        return text
    }

    /// No referrer ever leaves for another site (a login link or an authorization code in a URL
    /// stays here). Not `no-referrer`: under it browsers send `Origin: null` with a plain form
    /// POST, which the CSRF origin check rightly refuses, so signing out (a form without
    /// portal.js) failed in Chromium.
    static let referrerPolicy = "same-origin"

    /// An HTML answer with the portal's security headers.
    static func html(status: HTTPResponse.Status, _ html: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.cacheControl] = "no-store"
        fields[.contentSecurityPolicy] = contentSecurityPolicy
        fields[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        fields[HTTPField.Name("Referrer-Policy")!] = referrerPolicy
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A 4xx/5xx page that says what went wrong and where to go next (inside the navigation when
    /// someone is signed in). portal.js shows the `[data-problem]` text in its toast.
    static func problem(
        _ status: HTTPResponse.Status, _ message: String, visit: PortalVisit? = nil,
        next: PortalLink? = PortalLink(label: "Start again", href: "/admin/login"), headers: HTTPFields = [:]
    ) -> Response {
        let title =
            switch status.code {
            case 401: "Not signed in"
            case 403: "Not allowed"
            case 404: "Not found"
            case 409: "Conflict"
            case 400..<500: "Cannot do that"
            default: visit == nil ? "Sign-in failed" : "Something went wrong"
            }
        return render(
            "problem", title: title, model: ProblemModel(message: message, next: next), visit: visit, status: status,
            headers: headers)
    }

    /// `303 See Other` to `location`.
    static func redirect(to location: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.location] = location
        fields[.cacheControl] = "no-store"
        fields[HTTPField.Name("Referrer-Policy")!] = referrerPolicy
        return Response(status: .seeOther, headers: fields)
    }
}
