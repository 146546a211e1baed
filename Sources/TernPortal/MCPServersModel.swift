import Foundation
import TernCore
import TernHTTP

/// The MCP servers page: each server of a page of contexts with where it points (`${cred:NAME}`
/// references as typed, secret values never), whether it is enabled and its state; for admins
/// and owners the add form (stdio for admins only) and the buttons of the servers they manage.
struct MCPServersModel: Sendable {
    struct Row: Sendable {
        let contextID: String
        let contextName: String
        let name: String
        let scope: String
        let transport: String
        let target: String
        let settings: String
        let hasSettings: Bool
        let enabled: String
        let state: String
        let lastError: String
        let hasError: Bool
        /// `/admin/mcp-servers/{ctx}/{name}`, the buttons' path.
        let base: String
        /// A context's own server (a global one is changed in mcp.yaml).
        let isOwn: Bool
        let toggleValue: String
        let toggleLabel: String
        /// The visitor manages this server's context (admins, its owners).
        var canConfigure = false
    }

    let contexts: ContextPicker
    /// The visitor manages at least one context of the page: the add form and the buttons column.
    let canConfigure: Bool
    /// The visitor may add a stdio server (admins).
    let canAddStdio: Bool
    /// Why the list is read-only, for those who manage none of its contexts.
    let readOnlyNote: String
    /// For owners: why they may add HTTP servers only.
    let hostNote: String
    let formToken: String
    let rows: [Row]
    let isEmpty: Bool

    init(_ page: ContextPage<MCPServerSummary>, visit: PortalVisit) {
        contexts = ContextPicker(page, path: "/admin/mcp-servers")
        let manages = { (context: Context) in visit.refusal(.configureTools, in: context.id) == nil }
        canConfigure = visit.isAdmin || page.contexts.contains(where: manages)
        canAddStdio = visit.refusal(.configureHost) == nil
        readOnlyNote =
            canConfigure
            ? "" : "Read-only: the servers of a context are managed by its owners and by admins, and you own none of these."
        hostNote =
            canConfigure && !canAddStdio
            ? "You can add HTTP servers to the contexts you own. A stdio server runs a command on the Tern host, so admins "
                + "add those." : ""
        formToken = FormToken.make().value
        rows = page.items.map { found, server in
            var row = Self.row(server, in: found)
            row.canConfigure = manages(found)
            return row
        }
        isEmpty = rows.isEmpty
    }

    static func row(_ server: MCPServerSummary, in context: Context) -> Row {
        let target =
            switch server.transport {
            case .http: server.url ?? ""
            case .stdio: ([server.command ?? ""] + server.arguments).map(shellWord).joined(separator: " ")
            }
        let settings = (server.headers + server.environment).map { setting in
            setting.secret ? "\(setting.name) (secret)" : "\(setting.name)=\(setting.value ?? "")"
        }
        let isOwn = server.scope == .context
        return Row(
            contextID: context.id.rawValue, contextName: context.name, name: server.name,
            scope: isOwn ? "this context" : "global (mcp.yaml)", transport: server.transport.rawValue, target: target,
            settings: settings.joined(separator: ", "), hasSettings: !settings.isEmpty, enabled: server.enabled ? "yes" : "no",
            state: server.status.state.rawValue, lastError: server.status.lastError ?? "",
            hasError: server.status.lastError != nil,
            base: "/admin/mcp-servers/\(PortalController.segment(context.id.rawValue))/\(PortalController.segment(server.name))",
            isOwn: isOwn, toggleValue: server.enabled ? "false" : "true", toggleLabel: server.enabled ? "Disable" : "Enable")
    }

    /// `word` as a shell would need it to read it back as one argument.
    static func shellWord(_ word: String) -> String {
        let plain = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_./=:,@%+${}"))
        if !word.isEmpty, word.unicodeScalars.allSatisfy(plain.contains) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// The answer of a server's Test button: the tools it offers, or why it failed, in words.
struct MCPTestModel: Sendable {
    struct Tool: Sendable {
        let name, serverName, risk, description: String
    }

    let server: String
    let ok: Bool
    let summary: String
    let failure: String
    let tools: [Tool]
    let hasTools: Bool
    let backLabel: String
    let backHref: String

    init(server: String, report: MCPServerTestReport, back: PortalLink) {
        self.server = server
        ok = true
        let connect = Self.milliseconds(report.connectTime)
        let ping = Self.milliseconds(report.pingRoundTrip)
        summary =
            "Connected to \(report.serverName) \(report.serverVersion) (MCP \(report.protocolVersion)) in \(connect) ms; "
            + "ping \(ping) ms. It offers \(report.tools.count) tool\(report.tools.count == 1 ? "" : "s")."
        failure = ""
        tools = report.tools.map {
            Tool(name: $0.name, serverName: $0.serverToolName, risk: $0.risk.rawValue, description: $0.description)
        }
        hasTools = !tools.isEmpty
        backLabel = back.label
        backHref = back.href
    }

    init(server: String, failure: String, back: PortalLink) {
        self.server = server
        ok = false
        summary = ""
        self.failure = failure
        tools = []
        hasTools = false
        backLabel = back.label
        backHref = back.href
    }

    /// Rounded to 0.1 ms.
    static func milliseconds(_ duration: Duration) -> String {
        let components = duration.components
        let value = Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
        return String(format: "%.1f", value)
    }
}
