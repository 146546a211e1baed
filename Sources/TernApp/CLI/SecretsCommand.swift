import ArgumentParser
import Foundation
import TernCore
import TernStore

/// `tern secrets rotate`: re-seals every value at rest (credentials, MCP server secrets) under
/// the current `TERN_SECRET_KEY`, opening old ones with `TERN_SECRET_KEY_PREVIOUS`.
struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets", abstract: "Manage the secrets sealed at rest.", subcommands: [Rotate.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-seal every credential and MCP server secret under the current key.",
            discussion: """
                Put the new key in TERN_SECRET_KEY and the old one in TERN_SECRET_KEY_PREVIOUS, run this, \
                then drop the old key. Each row is re-sealed on its own; a row changed meanwhile is left alone \
                and reported. Exits 1 when anything failed.
                """)
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            try await AdminStores.with(options) { stores in
                let rotation = SecretsRotation(database: stores.database, box: try SecretsKeys.box(stores.config))
                let bar = ProgressBar(interactive: isatty(STDERR_FILENO) == 1)
                let report = try await rotation.run(progress: bar.show)
                bar.finish()
                try await stores.audit(
                    "secrets.rotate", object: "secrets", id: "all",
                    after: [
                        "resealed": .number(Double(report.resealed)), "already_current": .number(Double(report.alreadyCurrent)),
                        "failed": .number(Double(report.failed.count)),
                    ])
                for line in Self.lines(report) { print(line) }
                if !report.failed.isEmpty { throw ExitCode.failure }
            }
        }

        /// The report as printed: counts, then each failure with its reason.
        static func lines(_ report: SecretsRotation.Report) -> [String] {
            ["re-sealed \(report.resealed), already current \(report.alreadyCurrent), failed \(report.failed.count)"]
                + report.failed.map { "  failed: \($0)" }
        }
    }
}

/// A one-line progress bar on standard error, redrawn in place on a terminal; silent otherwise
/// (a log or pipe gets the final report only).
struct ProgressBar {
    let interactive: Bool
    var width = 30

    func show(_ done: Int, _ total: Int) {
        guard interactive, total > 0 else { return }
        let done = min(max(done, 0), total)  // some totals are estimates that the work overtakes
        let filled = width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total)".utf8))
    }

    func finish() {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
