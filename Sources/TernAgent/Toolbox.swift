import Foundation
import TernCore

/// The tools one turn (or one skill inside it) may use: the context's tools after permissions,
/// optionally cut down to a skill's ceiling. Whatever is not in ``offered`` is never offered
/// to the model, and a call to it is refused.
struct Toolbox: Sendable {
    /// Allowed tools by name.
    let offered: [String: any Tool]
    /// Every tool the context may use, for telling a forged out-of-ceiling call from an unknown name.
    let context: [String: any Tool]
    /// The skill whose ceiling applies, if any (for messages and logs).
    let ceilingOwner: String?
    /// The caller's role, once ``permitted(for:)`` narrowed the toolbox to it.
    private(set) var role: MemberRole?

    init(context tools: [String: any Tool]) {
        offered = tools
        context = tools
        ceilingOwner = nil
    }

    private init(offered: [String: any Tool], context: [String: any Tool], ceilingOwner: String?) {
        self.offered = offered
        self.context = context
        self.ceilingOwner = ceilingOwner
    }

    /// The tools of `skill`'s ceiling that the context allows.
    func restricted(to skill: Skill) -> Toolbox {
        let allowed = Set(skill.allowedTools)
        var narrowed = Toolbox(
            offered: offered.filter { allowed.contains($0.key) }, context: context, ceilingOwner: skill.name)
        narrowed.role = role
        return narrowed
    }

    /// The tools `role` may run (``MemberRole/allows(_:)``); the rest are not offered, and a call
    /// to one is refused naming the role.
    func permitted(for role: MemberRole) -> Toolbox {
        var narrowed = Toolbox(
            offered: offered.filter { role.allows(.runTool($0.value.spec.risk)) }, context: context,
            ceilingOwner: ceilingOwner)
        narrowed.role = role
        return narrowed
    }

    /// Why a call to `name`, a tool of the context that is not offered, is refused: the role's
    /// reason, the skill's ceiling, or `nil` when neither explains it.
    func refusal(of name: String) -> String? {
        guard let tool = context[name] else { return nil }
        if let role, let why = role.refusal(.runTool(tool.spec.risk)) { return why }
        return ceilingOwner.map { "skill \"\($0)\" may not use it" }
    }

    var isEmpty: Bool { offered.isEmpty }

    /// Offered tools' names, sorted.
    var names: [String] { offered.keys.sorted() }

    /// The definitions sent to the model, sorted by name.
    var definitions: [ToolDefinition] { names.compactMap { offered[$0]?.spec.definition } }

    /// Builds the context's toolbox: every tool of every source, minus denied ones (explicit
    /// `deny`, or no row and a `deny` default) and any that would shadow the planning tools.
    static func load(
        for context: ContextID, sources: [any ToolSource], permissions: any ToolPermissionStore,
        defaultPermission: ToolPermission
    ) async throws -> Toolbox {
        let explicit = try await permissions.permissions(in: context)
        var tools: [String: any Tool] = [:]
        for source in sources {
            for tool in try await source.tools(for: context) {
                let name = tool.spec.name
                guard (explicit[name] ?? defaultPermission) == .allow, tools[name] == nil, !Router.isReserved(name)
                else { continue }
                tools[name] = tool
            }
        }
        return Toolbox(context: tools)
    }
}
