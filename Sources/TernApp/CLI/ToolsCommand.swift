import ArgumentParser
import Foundation
import Logging
import TernAgent
import TernCore
import TernStore
import TernTools

/// `tern tools list|allow|deny|reset`: the built-in tools and their permission per context.
struct ToolsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tools", abstract: "List tools and set their permission per context.",
        subcommands: [List.self, Allow.self, Deny.self, Reset.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tools with their permission in a context.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Context name or id.") var context = "default"

        func run() async throws {
            try await ToolsCommand.withAgent(options) { agent, stores in
                let found = try await stores.context(context)
                let tools = try await agent.toolStatus(in: found.id)
                printTable(
                    ["TOOL", "RISK", "PERMISSION", "SET BY", "APPROVAL", "DESCRIPTION"],
                    tools.map {
                        [
                            $0.spec.name, $0.spec.risk.rawValue, $0.permission.rawValue,
                            $0.isExplicit ? "context" : "default", $0.needsApproval ? "yes" : "no",
                            String($0.spec.description.prefix(60)),
                        ]
                    })
            }
        }
    }

    struct Allow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Allow a tool in a context.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Tool name.") var tool: String
        @Option(help: "Context name or id.") var context = "default"

        func run() async throws { try await ToolsCommand.set(.allow, tool: tool, context: context, options) }
    }

    struct Deny: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deny a tool in a context.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Tool name.") var tool: String
        @Option(help: "Context name or id.") var context = "default"

        func run() async throws { try await ToolsCommand.set(.deny, tool: tool, context: context, options) }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop a context's own permission of a tool, so the default applies again.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Tool name.") var tool: String
        @Option(help: "Context name or id.") var context = "default"

        func run() async throws { try await ToolsCommand.set(nil, tool: tool, context: context, options) }
    }

    static func set(_ permission: ToolPermission?, tool: String, context: String, _ options: ConfigOptions)
        async throws
    {
        try await withAgent(options) { agent, stores in
            let found = try await stores.context(context)
            try await agent.setToolPermission(permission, for: tool, in: found.id)
            let status = try await agent.toolStatus(in: found.id).first { $0.spec.name == tool }
            print(
                "\(tool) is \(status?.permission.rawValue ?? "?") in '\(found.name)'"
                    + (permission == nil ? " (the default)" : ""))
        }
    }

    /// Runs `body` with the agent and the admin stores over the configured database.
    static func withAgent(
        _ options: ConfigOptions, _ body: (AgentService, AdminStores) async throws -> Void
    ) async throws {
        try await withDependencies(options) { dependencies, stores in try await body(dependencies.agent, stores) }
    }

    /// Runs `body` with every dependency the server would have (closed afterwards, also when
    /// `body` throws) and the admin stores; store errors become plain CLI errors.
    static func withDependencies(
        _ options: ConfigOptions, _ body: (Dependencies, AdminStores) async throws -> Void
    ) async throws {
        let config = try options.load()
        let logger = bootstrapLogging(level: config.logLevel < .warning ? .warning : config.logLevel)
        let dependencies = try await Dependencies.live(config: config, logger: logger)
        do {
            try await body(
                dependencies,
                AdminStores(
                    tenants: dependencies.tenants, keys: dependencies.apiKeys, database: dependencies.database,
                    config: config))
        } catch {
            try await dependencies.shutdown()
            if let store = error as? StoreError { throw CLIError(store.description) }
            throw error
        }
        try await dependencies.shutdown()
    }
}

/// `tern skills check`: loads every skill as the server would and reports problems.
struct SkillsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skills", abstract: "Check and list skills.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load every skill as the server would; list them and every problem (exit 1 if any).")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let config = try options.load()
            var result = SkillLoadResult()
            try await AdminStores.with(options) { stores in
                let (tools, _) = try await Dependencies.builtinTools(config, logger: Logger(label: "tern.skills"))
                // The server also offers the memory tools; a skill may list them.
                let known = Set(tools.names).union(Dependencies.memoryToolNames)
                result = try await Dependencies.loadSkills(config: config, tenants: stores.tenants, knownTools: known)
            }
            printTable(
                ["SKILL", "SCOPE", "TOOLS", "FILE"],
                result.skills.map { skill in
                    let scope: String
                    switch skill.scope {
                    case .global: scope = "global"
                    case .context(let id): scope = "context \(id)"
                    }
                    return [skill.name, scope, skill.allowedTools.joined(separator: ","), skill.source]
                })
            for issue in result.issues { print("problem: \(issue)") }
            if !result.issues.isEmpty { throw ExitCode(1) }
        }
    }
}
