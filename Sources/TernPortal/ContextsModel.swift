import Foundation
import TernAgent
import TernCore

/// The contexts list's view model.
struct ContextsModel: Sendable {
    struct Row: Sendable {
        let id: String
        let name: String
        let kind: String
        let members: Int
        let conversations: Int
        let created: String
    }

    let search: String
    let canCreate: Bool
    let formToken: String
    let rows: [Row]
    let nextHref: String
    let hasNext: Bool
    let isEmpty: Bool

    init(_ page: KeysetPage<ContextSummary>, search: String, canCreate: Bool) {
        self.search = search
        self.canCreate = canCreate
        formToken = FormToken.make().value
        rows = page.rows.map { summary in
            Row(
                id: summary.context.id.rawValue, name: summary.context.name, kind: summary.context.kind.rawValue,
                members: summary.memberCount, conversations: summary.conversationCount,
                created: PortalFormat.time(summary.context.createdAt))
        }
        nextHref = page.next.map { PortalQuery.href("/admin/contexts", ["q": search, "cursor": $0]) } ?? ""
        hasNext = page.next != nil
        isEmpty = rows.isEmpty
    }
}

/// One context's page: members, tool permissions, skills, MCP servers, credential names.
struct ContextModel: Sendable {
    struct Role: Sendable {
        let value: String
        let selected: Bool
    }

    struct Member: Sendable {
        let userID: String
        let name: String
        let role: String
        let roles: [Role]
    }

    /// A titled list with an empty state.
    struct List<Row: Sendable>: Sendable {
        let rows: [Row]
        let isEmpty: Bool

        init(rows: [Row]) {
            self.rows = rows
            isEmpty = rows.isEmpty
        }
    }

    struct Tool: Sendable {
        let name, risk, permission, source, approval: String
    }

    struct SkillRow: Sendable {
        let name, scope, description: String
    }

    struct Server: Sendable {
        let name, transport, state: String
        /// `/admin/mcp-servers/{ctx}/{name}`, the Test button's path.
        let base: String
    }

    struct CredentialRow: Sendable {
        let name, updated: String
    }

    let id: String
    let kind: String
    let created: String
    let yourRole: String
    let canManage: Bool
    /// Admins: the MCP servers' Test buttons.
    let canConfigure: Bool
    /// Admins and owners: the link to this context's Credentials page.
    let canManageCredentials: Bool
    let formToken: String
    let members: [Member]
    let tools: List<Tool>
    let skills: List<SkillRow>
    let servers: List<Server>
    let credentials: List<CredentialRow>

    init(
        context: Context, yourRole: String, canManage: Bool, canConfigure: Bool, canManageCredentials: Bool,
        members: [(Membership, User?)], tools: [ToolStatus], skills: [Skill], servers: [MCPServerSummary],
        credentials: [Credential]
    ) {
        id = context.id.rawValue
        kind = context.kind.rawValue
        created = PortalFormat.time(context.createdAt)
        self.yourRole = yourRole
        self.canManage = canManage
        self.canConfigure = canConfigure
        self.canManageCredentials = canManageCredentials
        formToken = FormToken.make().value
        self.members = members.map { membership, user in
            Member(
                userID: membership.userID.rawValue, name: user.map { $0.email ?? $0.displayName } ?? membership.userID.rawValue,
                role: membership.role.rawValue,
                roles: MemberRole.allCases.map { Role(value: $0.rawValue, selected: $0 == membership.role) })
        }
        self.tools = List(
            rows: tools.map { tool in
                Tool(
                    name: tool.spec.name, risk: tool.spec.risk.rawValue, permission: tool.permission.rawValue,
                    source: tool.isExplicit ? "this context" : "default", approval: tool.needsApproval ? "yes" : "no")
            })
        self.skills = List(
            rows: skills.map { skill in
                let scope = if case .context = skill.scope { "this context" } else { "global" }
                return SkillRow(name: skill.name, scope: scope, description: skill.description)
            })
        self.servers = List(
            rows: servers.map {
                Server(
                    name: $0.name, transport: $0.transport.rawValue, state: $0.status.state.rawValue,
                    base: "/admin/mcp-servers/\(PortalController.segment(context.id.rawValue))/\(PortalController.segment($0.name))")
            })
        self.credentials = List(
            rows: credentials.map { CredentialRow(name: $0.name, updated: PortalFormat.time($0.updatedAt)) })
    }
}

/// Query strings of portal links.
enum PortalQuery {
    /// `path?name=value&…` with the non-empty values, percent-encoded.
    static func href(_ path: String, _ parameters: [String: String]) -> String {
        let query = parameters.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
        return query.isEmpty ? path : path + "?" + query.joined(separator: "&")
    }
}
