// tern-bench-pg-call: the client's cost of one statement through Tern's PostgreSQL handle.
// Times sequential and concurrent `SELECT 1` calls through `PostgresDatabase.read` (opened as
// Tern's wiring opens it) and prints latency percentiles and this process's CPU per call, to set
// next to `pgbench` on the same server (scripts/bench-pg-call runs both; see docs/benchmarks.md).
import Foundation
import Logging
import SQLKit
import TernStore

let usage = """
    usage: tern-bench-pg-call --url postgres://user:password@host:port/db
                              [--calls 20000] [--warm-up 1000] [--concurrency 8]
    Runs --calls `SELECT 1` statements through PostgresDatabase one at a time, then split among
    --concurrency tasks (1 leaves the concurrent run out), after --warm-up uncounted calls each.
    """

/// A failure reported as `tern-bench-pg-call: <message>`.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Command-line options, parsed by hand (see `usage`).
struct Options {
    var url = ""
    var calls = 20_000
    var warmUp = 1_000
    var concurrency = 8

    static func parse(_ arguments: [String]) throws -> Options {
        if arguments.contains("-h") || arguments.contains("--help") { throw BenchError(usage) }
        guard arguments.count.isMultiple(of: 2) else { throw BenchError("every option needs a value\n\(usage)") }
        var options = Options()
        for index in stride(from: 0, to: arguments.count, by: 2) {
            let (flag, value) = (arguments[index], arguments[index + 1])
            switch flag {
            case "--url": options.url = value
            case "--calls": options.calls = try count(flag, value)
            case "--warm-up": options.warmUp = try count(flag, value)
            case "--concurrency": options.concurrency = try count(flag, value)
            default: throw BenchError("unknown option \(flag)\n\(usage)")
            }
        }
        if options.url.isEmpty { throw BenchError("--url is required\n\(usage)") }
        return options
    }

    private static func count(_ flag: String, _ value: String) throws -> Int {
        guard let number = Int(value.replacingOccurrences(of: "_", with: "")), number > 0 else {
            throw BenchError("\(flag) needs a positive whole number, got \(value)")
        }
        return number
    }
}

/// This process's user + system CPU time so far, in microseconds.
func cpuMicroseconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let user = Double(usage.ru_utime.tv_sec) * 1e6 + Double(usage.ru_utime.tv_usec)
    return user + Double(usage.ru_stime.tv_sec) * 1e6 + Double(usage.ru_stime.tv_usec)
}

func microseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
}

/// One `SELECT 1` through the handle, its value decoded and checked.
@Sendable func selectOne(_ database: PostgresDatabase) async throws {
    let one = try await database.read { sql in
        try await sql.raw("SELECT 1 AS one").first(decodingColumn: "one", as: Int.self)
    }
    guard one == 1 else { throw BenchError("SELECT 1 answered \(String(describing: one))") }
}

/// Runs `calls` calls split among `tasks` concurrent tasks; the latency of each, in microseconds.
func run(_ database: PostgresDatabase, calls: Int, tasks: Int) async throws -> [Double] {
    try await withThrowingTaskGroup(of: [Double].self) { group in
        for task in 0..<tasks {
            let mine = calls / tasks + (task < calls % tasks ? 1 : 0)
            group.addTask {
                let clock = ContinuousClock()
                var times: [Double] = []
                times.reserveCapacity(mine)
                for _ in 0..<mine {
                    let start = clock.now
                    try await selectOne(database)
                    times.append(microseconds(clock.now - start))
                }
                return times
            }
        }
        var all: [Double] = []
        for try await times in group { all += times }
        return all.sorted()
    }
}

func format(_ value: Double, width: Int = 10) -> String {
    let text = String(format: "%.1f", value)
    return String(repeating: " ", count: max(0, width - text.count)) + text
}

/// Reports `error` on standard error and exits with `status`.
func fail(_ error: any Error, status: Int32) -> Never {
    FileHandle.standardError.write(Data("tern-bench-pg-call: \(error)\n".utf8))
    exit(status)
}

let options: Options
do { options = try Options.parse(Array(CommandLine.arguments.dropFirst())) } catch { fail(error, status: 64) }
do {
    // Quiet, as `tern serve` runs at its default level: the statements are logged at trace only.
    var logger = Logger(label: "tern.bench.pg-call")
    logger.logLevel = .warning
    let database = try await PostgresDatabase.open(url: options.url, logger: logger)
    print("tern-bench-pg-call: \(options.calls) x SELECT 1 through PostgresDatabase.read at \(database.url)")
    print("    tasks     calls   calls/s    p50 µs    p99 µs    max µs  CPU µs/call")
    for tasks in options.concurrency > 1 ? [1, options.concurrency] : [1] {
        _ = try await run(database, calls: options.warmUp, tasks: tasks)
        let cpuBefore = cpuMicroseconds()
        let start = ContinuousClock.now
        let times = try await run(database, calls: options.calls, tasks: tasks)
        let wall = microseconds(ContinuousClock.now - start)
        let cpu = (cpuMicroseconds() - cpuBefore) / Double(times.count)
        let percentile = { (p: Double) in times[min(times.count - 1, Int(Double(times.count) * p))] }
        print(
            String(repeating: " ", count: 9 - "\(tasks)".count) + "\(tasks)"
                + String(repeating: " ", count: 10 - "\(times.count)".count) + "\(times.count)"
                + format(Double(times.count) / (wall / 1e6)) + format(percentile(0.5)) + format(percentile(0.99))
                + format(times.last ?? 0) + format(cpu, width: 13))
    }
    try await database.close()
} catch { fail(error, status: 1) }
