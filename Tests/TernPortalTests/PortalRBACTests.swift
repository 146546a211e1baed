import Foundation
import HTTPTypes
import HummingbirdTesting
import TernApp
import TernCore
import Testing

/// Every role × every portal page route, through `tern serve`'s wiring: a refused caller gets a
/// 403 page saying why; an allowed one gets past the access check (its answer is not a 403).
/// The admin JSON API asks the same ``PortalAccess`` through `AdminScope` (RoleMatrixTests and
/// AdminScopeTests in TernHTTPTests cover its routes).
@Suite struct PortalRBACTests {
    enum Caller: String, CaseIterable, Sendable {
        case admin, owner, member, viewer, outsider
    }

    struct Route: Sendable {
        let method: HTTPRequest.Method
        /// `{ctx}`, `{user}`, `{approval}`, `{caller}` and `{token}` are filled in per run.
        let path: String
        let fields: [String: String]
        let allowed: Set<Caller>
    }

    static let everyone = Set(Caller.allCases)
    static let members: Set<Caller> = [.admin, .owner, .member, .viewer]
    static let managers: Set<Caller> = [.admin, .owner]
    static let routes: [Route] = [
        Route(method: .get, path: "/admin/", fields: [:], allowed: everyone),
        Route(method: .get, path: "/admin/contexts", fields: [:], allowed: everyone),
        Route(method: .get, path: "/admin/contexts/{ctx}", fields: [:], allowed: members),
        Route(method: .get, path: "/admin/approvals", fields: [:], allowed: everyone),
        Route(method: .get, path: "/admin/account", fields: [:], allowed: everyone),
        Route(method: .get, path: "/admin/users", fields: [:], allowed: [.admin]),
        Route(method: .get, path: "/admin/users/{user}", fields: [:], allowed: [.admin]),
        Route(method: .get, path: "/admin/skills", fields: [:], allowed: everyone),
        Route(method: .get, path: "/admin/skills?context={ctx}", fields: [:], allowed: members),
        Route(method: .post, path: "/admin/skills/check", fields: ["context": "{ctx}", "folder": "x", "text": "x"], allowed: managers),
        Route(method: .get, path: "/admin/diagnostics", fields: [:], allowed: [.admin]),
        Route(method: .get, path: "/admin/settings", fields: [:], allowed: [.admin]),
        Route(method: .post, path: "/admin/contexts", fields: ["name": "n-{caller}", "idempotency": "{token}"], allowed: [.admin]),
        Route(
            method: .post, path: "/admin/contexts/{ctx}/members",
            fields: ["email": "x@example.test", "role": "viewer", "idempotency": "{token}"], allowed: managers),
        Route(method: .post, path: "/admin/contexts/{ctx}/members/{user}/role", fields: ["role": "viewer"], allowed: managers),
        Route(method: .post, path: "/admin/contexts/{ctx}/members/{user}/remove", fields: [:], allowed: managers),
        Route(method: .post, path: "/admin/users/{user}/role", fields: ["role": "user"], allowed: [.admin]),
        Route(method: .post, path: "/admin/users/{user}/keys", fields: ["name": "k", "idempotency": "{token}"], allowed: [.admin]),
        Route(
            method: .post, path: "/admin/approvals/{approval}/decide", fields: ["context": "{ctx}", "decision": "deny"],
            allowed: [.admin, .owner, .member]),
        Route(method: .get, path: "/admin/credentials", fields: [:], allowed: everyone),
        Route(method: .get, path: "/admin/credentials/{ctx}", fields: [:], allowed: managers),
        Route(method: .get, path: "/admin/credentials?context={ctx}", fields: [:], allowed: managers),
        Route(
            method: .post, path: "/admin/credentials",
            fields: ["context": "{ctx}", "name": "K_{caller}", "value": "v", "idempotency": "{token}"], allowed: managers),
        Route(method: .post, path: "/admin/credentials/{ctx}/K_{caller}/delete", fields: [:], allowed: managers),
        Route(method: .get, path: "/admin/mcp-servers", fields: [:], allowed: everyone),
        Route(method: .get, path: "/admin/mcp-servers/{ctx}", fields: [:], allowed: members),
        Route(
            method: .post, path: "/admin/mcp-servers",
            fields: [
                "context": "{ctx}", "name": "s-{caller}", "transport": "stdio", "command": "/bin/cat", "idempotency": "{token}",
            ], allowed: [.admin]),
        // An owner may add an HTTP server (this private address is then refused by the network guard: a 400).
        Route(
            method: .post, path: "/admin/mcp-servers",
            fields: [
                "context": "{ctx}", "name": "h-{caller}", "transport": "http", "url": "http://10.0.0.1/mcp",
                "idempotency": "{token}",
            ], allowed: managers),
        Route(method: .post, path: "/admin/mcp-servers/{ctx}/s-{caller}/enabled", fields: ["enabled": "false"], allowed: managers),
        Route(method: .post, path: "/admin/mcp-servers/{ctx}/no-such-server/test", fields: [:], allowed: managers),
        Route(method: .post, path: "/admin/mcp-servers/{ctx}/s-{caller}/remove", fields: [:], allowed: managers),
    ]

    @Test(arguments: Caller.allCases)
    func matrix(_ caller: Caller) async throws {
        try await LiveTern.run { dependencies, client in
            let tenants = dependencies.tenants
            let (owner, _) = try await tenants.provisionUser(email: "owner@example.test", displayName: "O", role: .user)
            let team = try await tenants.createContext(name: "team", kind: .shared, owner: owner.id)
            let (target, _) = try await tenants.provisionUser(email: "t@example.test", displayName: "T", role: .user)
            _ = try await tenants.addMember(target.id, to: team.id, role: .member)
            let email = caller == .owner ? "owner@example.test" : "\(caller.rawValue)@example.test"
            let browser = try await PortalBrowser.signIn(
                dependencies, client, email: email, role: caller == .admin ? .admin : .user)
            if caller == .member || caller == .viewer {
                _ = try await tenants.addMember(browser.user.id, to: team.id, role: caller == .member ? .member : .viewer)
            }
            for route in Self.routes {
                let fill = { (text: String) in
                    text.replacingOccurrences(of: "{ctx}", with: team.id.rawValue)
                        .replacingOccurrences(of: "{user}", with: target.id.rawValue)
                        .replacingOccurrences(of: "{approval}", with: "no-such-approval")
                        .replacingOccurrences(of: "{caller}", with: caller.rawValue)
                        .replacingOccurrences(of: "{token}", with: AdminSession.makeToken())
                }
                let path = fill(route.path)
                let answer =
                    route.method == .get ? try await browser.get(path) : try await browser.post(path, route.fields.mapValues(fill))
                let label = "\(caller) \(route.method) \(route.path): \(answer.status)"
                if route.allowed.contains(caller) {
                    #expect(answer.status != .forbidden, "\(label)")
                    #expect(answer.status.code < 500, "\(label)")
                } else {
                    #expect(answer.status == .forbidden, "\(label)")
                    #expect(answer.html.contains("data-problem"), "\(label): the 403 page says why")
                }
            }
        }
    }
}
