import Foundation

/// Writes a line to standard output at once (no buffering, so progress shows through pipes).
func out(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// `duration` in microseconds.
func microseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1_000_000 + Double(duration.components.attoseconds) / 1e12
}

/// `value` right-aligned in `width` columns, with `decimals` decimals.
func column(_ value: Double, _ width: Int, decimals: Int = 0) -> String {
    pad(String(format: "%.\(decimals)f", value), width)
}

/// `text` right-aligned in `width` columns.
func pad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
}

/// Nearest-rank percentiles of a series of turn times, in microseconds, and its rate.
struct Stats {
    /// Turns in the series.
    let count: Int
    /// Nearest-rank median, 90th percentile, fastest and slowest turn.
    let p50: Double, p90: Double, min: Double, max: Double
    /// Turns per second of `busy` time (the sum of the turns' times).
    let perSecond: Double
    /// CPU time (user + system, all threads) the process used per turn, in microseconds.
    let cpuPerTurn: Double

    init(_ times: [Duration], busy: Duration, cpu: Duration) {
        let sorted = times.map(microseconds).sorted()
        func rank(_ p: Double) -> Double { sorted[Swift.max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1)] }
        count = sorted.count
        p50 = rank(0.5)
        p90 = rank(0.9)
        min = sorted.first ?? 0
        max = sorted.last ?? 0
        perSecond = Double(sorted.count) / (microseconds(busy) / 1_000_000)
        cpuPerTurn = microseconds(cpu) / Double(Swift.max(sorted.count, 1))
    }
}

/// CPU time the process has used so far, all threads.
func processCPUTime() -> Duration {
    var spec = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
    return .seconds(spec.tv_sec) + .nanoseconds(spec.tv_nsec)
}

/// `kB` fields of `/proc/self/status` (`VmHWM`, `VmRSS`) in MiB, read at one moment; empty where
/// there is no procfs (macOS, where the benchmark still runs; the line is then left out).
func procStatusMiB() -> [String: Double] {
    // Missing procfs is expected off Linux; see above.
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return [:] }
    var fields: [String: Double] = [:]
    for line in status.split(separator: "\n") {
        let parts = line.split(whereSeparator: { $0 == ":" || $0.isWhitespace })
        if parts.count == 3, parts[2] == "kB", let kilobytes = Double(parts[1]) { fields[String(parts[0])] = kilobytes / 1024 }
    }
    return fields
}

/// Command-line options, parsed by hand (see `usage`).
struct Options {
    /// Timed turns per no-op row.
    var turns = 200
    /// Untimed rounds (one turn of each no-op row) before the timed ones.
    var warmup = 50
    /// Timed turns per 100 ms row (after one untimed round).
    var runs = 5

    /// What `--help` and a bad option print.
    static let usage = "usage: tern-bench-agent [--turns 200] [--warmup 50] [--runs 5]   (see docs/benchmarks.md)"

    /// Reads `--turns`, `--warmup` and `--runs`; throws ``BenchError`` with the usage otherwise.
    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            if flag == "-h" || flag == "--help" { throw BenchError(usage) }
            guard let text = rest.popFirst(), let value = Int(text), value > 0 else {
                throw BenchError("\(flag) needs a positive whole number\n\(usage)")
            }
            switch flag {
            case "--turns": options.turns = value
            case "--warmup": options.warmup = value
            case "--runs": options.runs = value
            default: throw BenchError("unknown option \(flag)\n\(usage)")
            }
        }
        return options
    }
}
