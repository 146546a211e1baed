import Foundation
import Hummingbird
import TernCore
import TernHTTP

/// The MCP servers page: every server of the contexts the visitor reads. Admins and each
/// context's owners manage its servers (``PortalAccess/Action/configureTools``); only admins add
/// a stdio server, which runs a command on this host (``PortalAccess/Action/configureHost``).
/// Definitions are checked by ``MCPServerAdmin`` (name, command found, URL through the network
/// guard), as for the admin API and the CLI.
extension PortalController {
    /// `GET/POST /admin/mcp-servers…`.
    func addMCPServerRoutes(to router: Router<TernRequestContext>) {
        router.get("admin/mcp-servers", use: mcpServerList)
        router.get("admin/mcp-servers/:ctx", use: mcpServerList)
        router.post("admin/mcp-servers", use: addMCPServer)
        router.post("admin/mcp-servers/:ctx/:name/enabled", use: setMCPServerEnabled)
        router.post("admin/mcp-servers/:ctx/:name/remove", use: removeMCPServer)
        router.post("admin/mcp-servers/:ctx/:name/test", use: testMCPServer)
    }

    /// `GET /admin/mcp-servers?context=&q=&cursor=` (or `/admin/mcp-servers/{ctx}`): the global
    /// and own servers of a keyset page of the contexts the visitor reads, with their state.
    @Sendable func mcpServerList(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await page(request, context) { visit in
            let found = try await contextPage(request, context, visit, .readContext) { try await mcpServers.servers(in: $0) }
            let model = MCPServersModel(found, visit: visit)
            return PortalPage.render("mcp-servers", title: "MCP servers", model: model, visit: visit, section: "MCP servers")
        }
    }

    /// `POST /admin/mcp-servers` (context, name, transport, url or command and arguments, settings;
    /// idempotent): admins and the context's owners; a stdio server admins only.
    @Sendable func addMCPServer(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await action(request, context) { visit, form in
            let found = try await formContext(form, visit, .configureTools)
            let definition = try MCPServerForm.definition(form)
            if definition.transport == .stdio { try visit.require(.configureHost, in: found.id) }
            return try await once(visit, form) {
                let added = try await mcpServers.add(definition, in: found.id)
                await audit(
                    visit, request, context, action: "mcp_server.add", object: ("mcp_server", added.name), in: found.id,
                    after: MCPServerForm.auditRecord(definition))
                return Created(location: "/admin/mcp-servers/\(Self.segment(found.id.rawValue))")
            }
        }
    }

    /// `POST /admin/mcp-servers/{ctx}/{name}/enabled` (enabled: true or false): admins and the context's owners.
    @Sendable func setMCPServerEnabled(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await action(request, context) { visit, form in
            let (id, name) = try routeServer(context, visit)
            let enabled: Bool
            switch try form.require("enabled", label: "Enabled") {
            case "true": enabled = true
            case "false": enabled = false
            case let other: throw PortalFailure.invalid("Enabled must be true or false, not '\(other)'.")
            }
            _ = try await mcpServers.setEnabled(enabled, named: name, in: id)
            await audit(
                visit, request, context, action: enabled ? "mcp_server.enable" : "mcp_server.disable",
                object: ("mcp_server", name), in: id, after: ["enabled": .bool(enabled)])
            return PortalPage.redirect(to: "/admin/mcp-servers/\(Self.segment(id.rawValue))")
        }
    }

    /// `POST /admin/mcp-servers/{ctx}/{name}/remove`: admins and the context's owners.
    @Sendable func removeMCPServer(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await action(request, context) { visit, _ in
            let (id, name) = try routeServer(context, visit)
            try await mcpServers.remove(named: name, in: id)
            await audit(visit, request, context, action: "mcp_server.remove", object: ("mcp_server", name), in: id)
            return PortalPage.redirect(to: "/admin/mcp-servers/\(Self.segment(id.rawValue))")
        }
    }

    /// `POST /admin/mcp-servers/{ctx}/{name}/test` (from: `context` to link back to the context's
    /// page): connects afresh, lists the tools and pings once; the page says what happened, with
    /// 502 when the server could not be reached or did not speak MCP.
    @Sendable func testMCPServer(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await action(request, context) { visit, form in
            let (id, name) = try routeServer(context, visit)
            let back =
                form.value("from") == "context"
                ? PortalLink(label: "Back to the context", href: "/admin/contexts/\(Self.segment(id.rawValue))")
                : PortalLink(label: "Back to MCP servers", href: "/admin/mcp-servers/\(Self.segment(id.rawValue))")
            let model: MCPTestModel
            do {
                model = MCPTestModel(server: name, report: try await mcpServers.test(named: name, in: id), back: back)
            } catch let failure as MCPServerUnreachable {
                model = MCPTestModel(server: name, failure: failure.message, back: back)
            }
            await audit(
                visit, request, context, action: "mcp_server.test", object: ("mcp_server", name), in: id,
                after: ["ok": .bool(model.ok)])
            return PortalPage.render(
                "mcp-test", title: "Test of MCP server \(name)", model: model, visit: visit, section: "MCP servers",
                status: model.ok ? .ok : .badGateway)
        }
    }

    /// The context and server name of the route, after checking the visitor configures tools there.
    func routeServer(_ context: TernRequestContext, _ visit: PortalVisit) throws -> (ContextID, String) {
        let id = ContextID(try context.parameters.require("ctx"))
        try visit.require(.configureTools, in: id)
        return (id, try context.parameters.require("name"))
    }
}
