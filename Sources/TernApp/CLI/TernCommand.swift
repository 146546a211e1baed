package import ArgumentParser
import Foundation
import Logging
import Synchronization

/// The `tern` command line.
package struct TernCommand: AsyncParsableCommand {
    /// The version `tern --version` prints.
    package static let version = "0.1.0"

    package static let configuration = CommandConfiguration(
        commandName: "tern",
        abstract: "Tern: a self-hosted, multi-tenant AI agent platform.",
        version: version,
        subcommands: [
            ServeCommand.self, ChatCommand.self, MigrateCommand.self, UsersCommand.self, ContextsCommand.self,
            KeysCommand.self, RetentionCommand.self, ToolsCommand.self, SkillsCommand.self,
            TelegramCommand.self, MCPCommand.self, CredentialsCommand.self, SecretsCommand.self, AuditCommand.self, MemoryCommand.self,
            AdminCommand.self,
        ]
    )

    package init() {}
}

/// Flags every command that reads the configuration accepts; they override environment and file.
struct ConfigOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: "Path of tern.yaml (TERN_CONFIG_FILE).")
    var configFile: String?

    @Option(help: "Directory for the database and other data (TERN_DATA_DIR).")
    var dataDir: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical (TERN_LOG_LEVEL).")
    var logLevel: String?

    var overrides: [ConfigKey: String] {
        var values: [ConfigKey: String] = [:]
        values[.configFile] = configFile
        values[.dataDir] = dataDir
        values[.logLevel] = logLevel
        return values
    }

    /// Loads the configuration or exits with a message listing every problem (exit code 78).
    /// Warnings go to standard error as `warning: …` unless `printWarnings` is false (`serve`
    /// logs them instead).
    func load(extra: [ConfigKey: String] = [:], printWarnings: Bool = true) throws -> TernConfig {
        let config: TernConfig
        do {
            config = try TernConfig.load(overrides: overrides.merging(extra) { _, flag in flag })
        } catch {
            FileHandle.standardError.write(Data("\(error.description)\n".utf8))
            throw ExitCode(78)
        }
        if printWarnings {
            for warning in config.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        }
        return config
    }
}

/// Whether ``bootstrapLogging(level:)`` ran: swift-log allows one bootstrap per process, and
/// tests run several commands in one.
private let loggingBootstrapped = Mutex(false)

/// Sends logs to standard error at the configured level. Only the first call in a process
/// installs the handler (with its level); later calls return a logger at their level.
func bootstrapLogging(level: Logger.Level) -> Logger {
    loggingBootstrapped.withLock { done in
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
    var logger = Logger(label: "tern")
    logger.logLevel = level
    return logger
}

extension TernCommand {
    /// Parses the process arguments and runs the chosen subcommand.
    ///
    /// Spelled out because calling `main()` across modules resolves to ArgumentParser's
    /// synchronous entry point, which refuses async commands.
    package static func runFromCommandLine() async {
        // Every command may create the database, its journals or the secret key (`tern migrate`,
        // `tern keys create` on a fresh directory): they are born private, as under `serve`.
        DataDirectoryPermissions.restrictNewFiles()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
