import Foundation

/// Command-line options, parsed by hand (see `usage`).
struct PortalBenchOptions: Sendable {
    var contexts = 1_000
    var conversations = 100_000
    var iterations = 200
    var warmup = 20
    /// Timing stops after this long on one page once 5 renders are in (a page of seconds would
    /// otherwise take the whole run); warm-up after a fifth of it.
    var budget: Duration = .seconds(20)
    /// An admin URL of a PostgreSQL server (a database is made and dropped); SQLite when `nil`.
    var postgres: String?
    /// Print each page's statements under its line.
    var showSQL = false

    static let usage = """
        usage: tern-bench-portal [--contexts 1000] [--conversations 100000] [--iterations 200] [--warmup 20] [--budget-seconds 20]
                                 [--postgres postgres://ADMIN-URL] [--quick] [--show-sql]
        SQLite in a temporary directory (removed after) unless --postgres is given; its user must be
        allowed to CREATE DATABASE: a database tern_bench_portal_<random> is made and dropped.
        --budget-seconds: stop timing a page after this long once 5 renders are in.
        --quick: 100 contexts, 10,000 conversations, 20 iterations, 5 warm-up renders.
        --show-sql: print the statements of each page's counted render.
        """

    /// The numeric options, by flag (key paths are immutable values; the dictionary is never changed).
    nonisolated(unsafe) static let numbers: [String: WritableKeyPath<PortalBenchOptions, Int>] = [
        "--contexts": \.contexts, "--conversations": \.conversations, "--iterations": \.iterations,
        "--warmup": \.warmup,
    ]

    static func parse(_ arguments: [String]) throws -> PortalBenchOptions {
        var options = PortalBenchOptions()
        var rest = arguments[...]
        if rest.contains("--quick") {
            (options.contexts, options.conversations, options.iterations, options.warmup) = (100, 10_000, 20, 5)
            rest = rest.filter { $0 != "--quick" }[...]
        }
        if rest.contains("--show-sql") {
            options.showSQL = true
            rest = rest.filter { $0 != "--show-sql" }[...]
        }
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw PortalBenchError("\(flag) needs a value\n\(usage)") }
            if let field = numbers[flag] {
                guard let number = Int(value.replacingOccurrences(of: "_", with: "")), number > 0 else {
                    throw PortalBenchError("\(flag) needs a positive whole number, got \(value)")
                }
                options[keyPath: field] = number
            } else if flag == "--budget-seconds" {
                guard let seconds = Int(value), seconds > 0 else {
                    throw PortalBenchError("--budget-seconds needs a positive whole number, got \(value)")
                }
                options.budget = .seconds(seconds)
            } else if flag == "--postgres" {
                options.postgres = value
            } else {
                throw PortalBenchError("unknown option \(flag)\n\(usage)")
            }
        }
        if options.contexts > options.conversations {
            throw PortalBenchError("--contexts (\(options.contexts)) must not exceed --conversations (\(options.conversations))")
        }
        return options
    }
}

/// A failure reported as `tern-bench-portal: <message>`.
struct PortalBenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Prints `line` on standard output at once (not buffered), so progress shows through a pipe.
func report(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

/// The 50th and 99th percentiles and the maximum of render times in milliseconds.
struct RenderTimes: CustomStringConvertible {
    let p50: Double
    let p99: Double
    let max: Double

    init(_ times: [Double]) {
        let sorted = times.sorted()
        func rank(_ fraction: Double) -> Double { sorted[Swift.min(sorted.count - 1, Int(Double(sorted.count) * fraction))] }
        (p50, p99, max) = (rank(0.5), rank(0.99), sorted.last ?? 0)
    }

    var description: String { String(format: "p50 %7.2f  p99 %7.2f  max %7.2f", p50, p99, max) }
}
