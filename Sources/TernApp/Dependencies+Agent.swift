import Foundation
import Logging
import TernAgent
import TernCore
import TernNetwork
import TernStore
import TernTools

extension Dependencies {
    /// The agent's settings from the configuration.
    static func agentSettings(_ config: TernConfig) -> AgentSettings {
        let agent = config.agent
        return AgentSettings(
            model: config.llm?.model ?? "", historyLimit: config.historyLimit, systemPrompt: config.systemPrompt,
            maxToolTurns: agent.maxToolTurns, maxParallelSteps: agent.maxParallelSteps,
            toolOutputBudget: agent.toolOutputBudget, toolTimeout: .milliseconds(Int64(agent.toolTimeoutSeconds * 1000)),
            approvalTimeout: .milliseconds(Int64(agent.approvalTimeoutSeconds * 1000)),
            approvalRequired: agent.tools.requireApproval, defaultToolPermission: agent.tools.defaultPermission,
            maxReplans: agent.maxReplans, routerEnabled: agent.router)
    }

    /// The built-in tools (minus those `tools.yaml` disables; `tools` instead when given),
    /// skills, permissions and approvals.
    static func makeTooling(
        config: TernConfig, tenants: SQLTenantStore, database: any DatabaseHandle, approvals: ApprovalCenter,
        epoch: MembershipEpoch, extraSources: [any ToolSource] = [], tools: [any Tool]? = nil,
        memoryTools: [any Tool] = [], cacheMaxAge: Duration = TenantCache.defaultMaxAge, logger: Logger
    ) async throws -> (AgentTooling, FetchCache?) {
        let registry: ToolRegistry
        var cache: FetchCache?
        if let tools {
            registry = try ToolRegistry(tools)
        } else {
            (registry, cache) = try await builtinTools(config, memoryTools: memoryTools, logger: logger)
        }
        let skills = try await loadSkills(config: config, tenants: tenants, knownTools: Set(registry.names))
        for issue in skills.issues {
            logger.warning(
                "skill skipped",
                metadata: [
                    "file": "\(issue.file)", "line": "\(issue.line.map(String.init) ?? "-")",
                    "problem": "\(issue.message)",
                ])
        }
        if !skills.skills.isEmpty { logger.info("skills loaded", metadata: ["count": "\(skills.skills.count)"]) }
        let tooling = AgentTooling(
            sources: [registry] + extraSources,
            permissions: SQLToolPermissionStore(database: database, cacheMaxAge: cacheMaxAge),
            skills: StaticSkillCatalog(skills),
            approvals: approvals, epoch: epoch,
            memberRole: { user, context in
                try await tenants.memberships(of: user).first { $0.contextID == context }?.role
            })
        return (tooling, cache)
    }

    /// The built-in tools, minus those `tools.yaml` disables. Network tools share one guard;
    /// file tools and git_clone share the workspaces in `<data dir>/workspaces`.
    /// Also returns the fetch cache (when enabled), for diagnostics.
    static func builtinTools(
        _ config: TernConfig, memoryTools: [any Tool] = [], logger: Logger
    ) async throws -> (ToolRegistry, FetchCache?) {
        let toolsFile = config.agent.tools
        let settings = config.tools
        let networkGuard = NetworkGuard(
            policy: URLPolicy(allowedPorts: settings.networkPorts, allowList: settings.networkAllow),
            resolver: SystemHostResolver())
        let http = GuardedHTTPClient(networkGuard: networkGuard, userAgent: "Tern/\(TernCommand.version)")
        let workspace = Workspace(root: URL(fileURLWithPath: config.dataDir).appendingPathComponent("workspaces"))
        var cache: FetchCache?
        if settings.webCacheMaxEntries > 0, settings.webCacheTTLSeconds > 0 {
            let opened = FetchCache(
                directory: URL(fileURLWithPath: config.dataDir).appendingPathComponent("cache/web"),
                limits: .init(
                    ttl: .seconds(settings.webCacheTTLSeconds), maxEntries: settings.webCacheMaxEntries,
                    maxBytes: settings.webCacheMaxBytes),
                logger: logger.labelled("tern.tools.web_fetch.cache"))
            try await opened.open()
            cache = opened
        }
        let builtins: [any Tool] =
            [
                try CalculatorTool(),
                try ClockTool(clock: SystemWallClock(), settings: toolsFile.settings(for: ClockTool.name)),
                try WebFetchTool(client: http, cache: cache, outputBudget: settings.webFetchMaxCharacters),
                try WebSearchTool(client: http, searxngURL: settings.searxngURL),
                try GitCloneTool(
                    workspace: workspace, networkGuard: networkGuard,
                    runner: ProcessRunner(
                        timeout: .milliseconds(Int64(settings.gitTimeoutSeconds * 1000)),
                        logger: logger.labelled("tern.tools.process")),
                    logger: logger.labelled("tern.tools.git_clone")),
                try ListFilesTool(workspace: workspace), try ReadFileTool(workspace: workspace),
                try WriteFileTool(workspace: workspace), try SearchFilesTool(workspace: workspace),
            ] + memoryTools
        let known = Set(builtins.map(\.spec.name))
        for name in toolsFile.tools.keys.sorted() where !known.contains(name) {
            logger.warning(
                "tools.yaml names a tool that is not built in; its entry is ignored",
                metadata: ["tool": "\(name)", "file": "\(config.agent.toolsFilePath ?? "")"])
        }
        return (try ToolRegistry(builtins, disabled: toolsFile.disabledTools), cache)
    }

    /// Loads global skills and each context's overlay (`<context skills dir>/<context name>/`).
    /// Malformed files are reported as issues (file and line) and skipped; the rest load.
    static func loadSkills(
        config: TernConfig, tenants: any TenantStore, knownTools: Set<String>
    ) async throws -> SkillLoadResult {
        var overlays: [ContextID: URL] = [:]
        var problems: [SkillIssue] = []
        let root = URL(fileURLWithPath: config.agent.contextSkillsDir, isDirectory: true)
        // A missing directory means no context has skills of its own yet.
        let folders =
            FileManager.default.fileExists(atPath: root.path)
            ? try FileManager.default.contentsOfDirectory(atPath: root.path) : []
        for folder in folders.sorted() where !folder.hasPrefix(".") {
            if let context = try await tenants.context(named: folder) {
                overlays[context.id] = root.appendingPathComponent(folder, isDirectory: true)
            } else {
                problems.append(
                    SkillIssue(file: root.appendingPathComponent(folder).path, message: "no context is named '\(folder)'"))
            }
        }
        var result = SkillLoader().load(
            globalDirectory: URL(fileURLWithPath: config.agent.skillsDir, isDirectory: true),
            contextDirectories: overlays, knownTools: knownTools)
        result.issues = problems + result.issues
        return result
    }
}
