import ArgumentParser
import Foundation
import TernCore

/// `tern mcp list|add|enable|disable|remove|test`: a context's MCP servers.
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp", abstract: "Manage the MCP servers whose tools a context's agent may use.",
        subcommands: [List.self, Add.self, Enable.self, Disable.self, Remove.self, Test.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the global (mcp.yaml) and the context's own MCP servers.")
        @OptionGroup var options: ConfigOptions
        @Option(help: "Context name or id.") var context = "default"

        func run() async throws {
            try await MCPCommand.withAdmin(options) { admin, stores in
                let found = try await stores.context(context)
                let servers = try await admin.servers(in: found.id)
                if servers.isEmpty {
                    print("no MCP servers in '\(found.name)' (add one with: tern mcp add <name> --command … or --url …)")
                    return
                }
                printTable(
                    ["NAME", "SCOPE", "TRANSPORT", "ENABLED", "TARGET", "SETTINGS"],
                    servers.map { server in
                        let target =
                            server.transport == .stdio
                            ? ([server.command ?? ""] + server.arguments).joined(separator: " ") : server.url ?? ""
                        let settings = (server.environment + server.headers).map {
                            $0.secret ? "\($0.name)=***" : "\($0.name)=\($0.value ?? "")"
                        }
                        return [
                            server.name, server.scope.rawValue, server.transport.rawValue, server.enabled ? "yes" : "no",
                            String(target.prefix(60)), settings.joined(separator: " "),
                        ]
                    })
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an MCP server to a context.",
            discussion: """
                stdio:  tern mcp add time --command python3 -- -m mcp_server_time --local-timezone UTC
                http:   tern mcp add search --url https://mcp.example.com/mcp --secret-header Authorization
                A secret given as NAME alone is read from this shell's environment variable NAME, so it
                never appears in the command line; NAME=value works too. Secrets are encrypted at rest
                and never shown again.
                """)
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Server name (letters, digits, _ and -; tools appear as <name>__<tool>).") var name: String
        @Option(help: "Context name or id.") var context = "default"
        @Option(help: "Program of a stdio server (a path or a name on PATH).") var command: String?
        @Option(help: "URL of a streamable-HTTP server.") var url: String?
        @Option(name: .customLong("env"), help: "NAME=value environment variable of a stdio server (repeatable).")
        var environment: [String] = []
        @Option(name: .customLong("secret-env"), help: "NAME or NAME=value secret environment variable (repeatable).")
        var secretEnvironment: [String] = []
        @Option(name: .customLong("header"), help: "'Name: value' header of an http server (repeatable).")
        var headers: [String] = []
        @Option(name: .customLong("secret-header"), help: "Name or 'Name: value' secret header (repeatable).")
        var secretHeaders: [String] = []
        @Flag(help: "Add it switched off.") var disabled = false
        @Argument(parsing: .postTerminator, help: "Arguments of the stdio command, after --.") var arguments: [String] = []

        func run() async throws {
            let definition = try definition()
            try await MCPCommand.withAdmin(options) { admin, stores in
                let found = try await stores.context(context)
                let added = try await admin.add(definition, in: found.id)
                print(
                    "added MCP server '\(added.name)' to '\(found.name)'\(added.enabled ? "" : " (disabled)"); check it with: tern mcp test \(added.name) --context \(found.name)"
                )
            }
        }

        func definition() throws -> MCPServerDefinition {
            guard (command == nil) != (url == nil) else {
                throw CLIError("give exactly one of --command (a stdio server) or --url (an http server)")
            }
            let environment =
                try self.environment.map { try MCPCommand.setting($0, separator: "=", secret: false, flag: "--env") }
                + secretEnvironment.map { try MCPCommand.setting($0, separator: "=", secret: true, flag: "--secret-env") }
            let headers =
                try self.headers.map { try MCPCommand.setting($0, separator: ":", secret: false, flag: "--header") }
                + secretHeaders.map { try MCPCommand.setting($0, separator: ":", secret: true, flag: "--secret-header") }
            if url != nil, !environment.isEmpty || !arguments.isEmpty {
                throw CLIError("--env, --secret-env and arguments after -- are for stdio servers (--command)")
            }
            if command != nil, !headers.isEmpty {
                throw CLIError("--header and --secret-header are for http servers (--url)")
            }
            return MCPServerDefinition(
                name: name, transport: command != nil ? .stdio : .http, command: command, arguments: arguments,
                environment: environment, url: url, headers: headers, enabled: !disabled)
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Switch a context's MCP server on.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Server name.") var name: String
        @Option(help: "Context name or id.") var context = "default"

        func run() async throws { try await MCPCommand.setEnabled(true, name: name, context: context, options) }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Switch a context's MCP server off (its tools disappear, its connection closes).")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Server name.") var name: String
        @Option(help: "Context name or id.") var context = "default"

        func run() async throws { try await MCPCommand.setEnabled(false, name: name, context: context, options) }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a context's MCP server and its stored secrets.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Server name.") var name: String
        @Option(help: "Context name or id.") var context = "default"
        @Flag(help: "Do not ask for confirmation.") var yes = false

        func run() async throws {
            try await MCPCommand.withAdmin(options) { admin, stores in
                let found = try await stores.context(context)
                try confirm("Remove MCP server '\(name)' from '\(found.name)'?", yes: yes)
                try await admin.remove(named: name, in: found.id)
                print("removed MCP server '\(name)' from '\(found.name)'")
            }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Connect to an MCP server afresh; print its protocol version, tools and round-trip time.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Server name.") var name: String
        @Option(help: "Context name or id.") var context = "default"

        func run() async throws {
            try await MCPCommand.withAdmin(options) { admin, stores in
                let found = try await stores.context(context)
                FileHandle.standardError.write(Data("connecting to MCP server '\(name)'…\n".utf8))
                let report: MCPServerTestReport
                do {
                    report = try await admin.test(named: name, in: found.id)
                } catch let error as MCPServerUnreachable {
                    throw CLIError(error.message)
                }
                print("server:           \(report.serverName) \(report.serverVersion)")
                print("protocol version: \(report.protocolVersion)")
                print("connect:          \(MCPCommand.milliseconds(report.connectTime)) ms (spawn/connect + initialize)")
                print("round trip:       \(MCPCommand.milliseconds(report.pingRoundTrip)) ms (ping)")
                print("tools:            \(report.tools.count)")
                if !report.tools.isEmpty {
                    printTable(
                        ["TOOL", "SERVER'S NAME", "RISK", "DESCRIPTION"],
                        report.tools.map { [$0.name, $0.serverToolName, $0.risk.rawValue, String($0.description.prefix(60))] })
                }
            }
        }
    }

    static func setEnabled(_ enabled: Bool, name: String, context: String, _ options: ConfigOptions) async throws {
        try await withAdmin(options) { admin, stores in
            let found = try await stores.context(context)
            let server = try await admin.setEnabled(enabled, named: name, in: found.id)
            print("MCP server '\(server.name)' is \(server.enabled ? "enabled" : "disabled") in '\(found.name)'")
        }
    }

    /// `NAME=value` (or `Name: value`); a secret given as `NAME` alone is read from this
    /// process's environment, so it stays out of the shell history.
    static func setting(_ raw: String, separator: Character, secret: Bool, flag: String) throws -> MCPServerDefinition.Setting {
        if let index = raw.firstIndex(of: separator) {
            let name = raw[..<index].trimmingCharacters(in: .whitespaces)
            var value = String(raw[raw.index(after: index)...])
            if separator == ":" { value = value.trimmingCharacters(in: .whitespaces) }
            guard !name.isEmpty else { throw CLIError("\(flag) '\(raw)': the name is empty") }
            return .init(name: name, value: value, secret: secret)
        }
        guard secret else {
            throw CLIError("\(flag) '\(raw)' needs a value: \(separator == "=" ? "NAME=value" : "'Name: value'")")
        }
        guard let value = ProcessInfo.processInfo.environment[raw] else {
            throw CLIError(
                "\(flag) \(raw): the environment variable \(raw) is not set in this shell (or give \(raw)\(separator == "=" ? "=" : ": ")value)"
            )
        }
        return .init(name: raw, value: value, secret: true)
    }

    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.1f", duration.timeInterval * 1000)
    }

    /// Runs `body` with the MCP admin over the configured database; closes every connection after.
    static func withAdmin(
        _ options: ConfigOptions, _ body: (any MCPServerAdmin, AdminStores) async throws -> Void
    ) async throws {
        try await ToolsCommand.withDependencies(options) { dependencies, stores in
            try await body(dependencies.mcpAdmin, stores)
        }
    }
}
