import Foundation

/// Command-line options, parsed by hand (see `usage`).
struct Options: Sendable {
    var database = ""
    var conversations = 10_000
    var messages = 1_000_000
    var samples = 2_000
    /// Readers of the concurrent run; 1 leaves it out.
    var concurrency = 8

    static let usage = """
        usage: tern-bench --database sqlite:PATH|postgres://user:password@host:port/db
                          [--conversations 10000] [--messages 1000000] [--samples 2000] [--concurrency 8]
        The database must be new or empty: it is migrated, seeded and measured (see docs/benchmarks.md).
        """

    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            if flag == "-h" || flag == "--help" { throw BenchError(usage) }
            guard let value = rest.popFirst() else { throw BenchError("\(flag) needs a value\n\(usage)") }
            switch flag {
            case "--database": options.database = value
            case "--conversations": options.conversations = try count(flag, value)
            case "--messages": options.messages = try count(flag, value)
            case "--samples": options.samples = try count(flag, value)
            case "--concurrency": options.concurrency = try count(flag, value)
            default: throw BenchError("unknown option \(flag)\n\(usage)")
            }
        }
        if options.database.isEmpty { throw BenchError("--database is required\n\(usage)") }
        if options.messages < options.conversations {
            throw BenchError("--messages must be at least --conversations (every session needs a message)")
        }
        return options
    }

    private static func count(_ flag: String, _ value: String) throws -> Int {
        guard let number = Int(value.replacingOccurrences(of: "_", with: "")), number > 0 else {
            throw BenchError("\(flag) needs a positive whole number, got \(value)")
        }
        return number
    }
}

/// A failure reported as `tern-bench: <message>`.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
