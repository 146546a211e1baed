import ArgumentParser
import Foundation
import TernCore
import TernMemory
import TernStore

extension MemoryCommand {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Counts, settings and how recall works in a context.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Context name or id.") var context: String

        func run() async throws {
            try await MemoryCommand.withMemory(options) { memory, stores in
                let found = try await stores.context(context)
                let status = try await memory.status(in: found.id)
                for line in MemoryCommand.lines(status) { print(line) }
                // PostgreSQL: whether recall can use the dimension's index (see `tern memory index`).
                guard let dimension = status.settings.embedding?.dimension,
                    let index = try await SQLMemoryStore(database: stores.database).vectorIndexes()
                        .first(where: { $0.dimension == dimension })
                else { return }
                print("vector index: \(index.name), \(index.state.rawValue)")
                if index.needsBuild {
                    print("warning: recall searches these vectors exactly until it is built: tern memory index --rebuild")
                }
            }
        }
    }

    struct Settings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or change a context's memory settings.",
            discussion: "Without options, prints them. --min-score drops vector hits below it; keyword hits always stay.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Context name or id.") var context: String
        @Option(help: "Recall memories in each turn (true or false).") var enabled: Bool?
        @Option(help: "Memories recalled per turn (1-100).") var k: Int?
        @Option(help: "Lowest cosine similarity of a vector hit, 0-1.") var minScore: Double?
        @Option(help: "Remember a short summary of each turn (true or false).") var summarize: Bool?

        func run() async throws {
            try await MemoryCommand.withMemory(options) { memory, stores in
                let found = try await stores.context(context)
                var settings = try await memory.store.settings(in: found.id)
                if enabled != nil || k != nil || minScore != nil || summarize != nil {
                    var preferences = settings.preferences
                    if let enabled { preferences.enabled = enabled }
                    if let k { preferences.k = k }
                    if let minScore { preferences.minimumScore = minScore }
                    if let summarize { preferences.summarizeTurns = summarize }
                    if !preferences.problems.isEmpty { throw CLIError(preferences.problems.joined(separator: "; ")) }
                    settings = try await memory.setPreferences(preferences, in: found.id)
                    try await stores.audit(
                        "memory.settings", object: "memory_settings", id: found.id.rawValue, context: found.id,
                        after: MemoryCommand.json(settings.preferences))
                }
                for line in MemoryCommand.lines(settings.preferences) { print(line) }
            }
        }
    }

    static func lines(_ preferences: MemoryPreferences) -> [String] {
        [
            "enabled: \(preferences.enabled)", "k: \(preferences.k)", "min score: \(preferences.minimumScore)",
            "summarize turns: \(preferences.summarizeTurns)",
        ]
    }

    static func lines(_ status: MemoryService.Status) -> [String] {
        var output = [
            "memories: \(status.stats.memories) (\(status.stats.embedded) with embeddings)",
            "documents: \(status.stats.documents)", "recall: \(status.recallMode)",
        ]
        if let recorded = status.settings.embedding {
            output.append("embeddings stored: \(recorded.model), \(recorded.dimension) dimensions")
        }
        return output + lines(status.settings.preferences)
    }

    static func json(_ preferences: MemoryPreferences) -> JSONValue {
        [
            "enabled": .bool(preferences.enabled), "k": .number(Double(preferences.k)),
            "minimum_score": .number(preferences.minimumScore), "summarize_turns": .bool(preferences.summarizeTurns),
        ]
    }
}
