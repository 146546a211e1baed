import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import TernAgent
import TernJobs
import TernStore
import UnixSignals

/// `tern serve`: runs the HTTP API until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the Tern server (OpenAI-compatible API, health probes).")

    @OptionGroup var options: ConfigOptions

    @Option(help: "Address to listen on (TERN_HOST).")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one (TERN_PORT).")
    var port: Int?

    func run() async throws {
        var extra: [ConfigKey: String] = [:]
        extra[.host] = host
        extra[.port] = port.map(String.init)
        let config = try options.load(extra: extra, printWarnings: false)
        do {
            try config.checkServable()
        } catch {
            FileHandle.standardError.write(Data("\(error.description)\n".utf8))
            throw ExitCode(78)
        }
        let logger = bootstrapLogging(level: config.logLevel)
        for warning in config.warnings { logger.warning("configuration", metadata: ["warning": "\(warning)"]) }
        // Before anything is created: the database, its journals and the secret key are born private.
        DataDirectoryPermissions.restrictNewFiles()
        let databaseFile: String? =
            if case .sqlite(let path) = config.database { path } else { nil }
        DataDirectoryPermissions.log(
            try DataDirectoryPermissions.secure(dataDir: config.dataDir, databaseFile: databaseFile),
            logger: logger.labelled("tern.store"))
        let dependencies = try await Dependencies.live(config: config, logger: logger)
        do {
            let mode = try await dependencies.identity.keylessMode()
            logger.notice("requests without a key", metadata: ["mode": "\(mode.rawValue)"])
        } catch {
            logger.warning("could not tell whether keyless requests are allowed", metadata: ["error": "\(error)"])
        }
        await Self.warnAboutVectorIndexes(dependencies.database, logger: logger.labelled("tern.memory"))
        // This instance is alive before any turn of it can ask for approval; requests of instances
        // that are gone are denied (fail closed). SQLite has one process: every other instance is gone.
        do {
            try await dependencies.announceInstance()
        } catch {
            try await dependencies.shutdown()
            throw error
        }
        let app = buildApplication(
            config: config, dependencies: dependencies, logger: logger,
            onServerRunning: { channel in
                logger.notice(
                    "tern is listening",
                    metadata: [
                        "address": "\(channel.localAddress?.description ?? "?")",
                        "database": "\(config.database)", "llm": "\(config.llm?.baseURL ?? "not configured")",
                        "instance": "\(dependencies.approvals.instance)",
                    ])
            })
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch is CancellationError {
            // A service cancelled by the shutdown (e.g. a follower waiting to lead): a normal stop.
            logger.info("server stopped")
        } catch {
            logger.error("server stopped with an error", metadata: ["error": "\(error)"])
            try await dependencies.shutdown()
            throw error
        }
        try await dependencies.shutdown()
    }

    /// PostgreSQL: a memory vector index that recall cannot use (dropped by a `--defer-index` load
    /// that was stopped, or left invalid by a failed build) makes recall exact and slow; say so at
    /// start, with the fix. A failed check is logged and the server starts.
    static func warnAboutVectorIndexes(_ database: any DatabaseHandle, logger: Logger) async {
        guard database.dialect == .postgres else { return }
        do {
            for index in try await SQLMemoryStore(database: database).vectorIndexes()
            where index.needsBuild {
                logger.warning(
                    "memory vector index not usable: recall searches these vectors exactly (slow on a large table)",
                    metadata: [
                        "index": "\(index.name)", "state": "\(index.state.rawValue)", "fix": "tern memory index --rebuild",
                    ])
            }
        } catch {
            logger.warning("could not check the memory vector indexes", metadata: ["error": "\(error)"])
        }
    }
}
