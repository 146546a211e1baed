// tern-bench-agent: times AgentService turns that run plans, in process (scripted model, memory
// stores): plans of no-op tool steps for the executor's overhead per step, and 10 steps of a
// 100 ms tool, independent vs. chained. See docs/benchmarks.md.
import Foundation
import TernAgent

/// Prints `tern-bench-agent: <error>` to standard error and exits with `status`.
func fail(_ error: any Error, status: Int32) -> Never {
    FileHandle.standardError.write(Data("tern-bench-agent: \(error)\n".utf8))
    exit(status)
}

let options: Options
do { options = try Options.parse(Array(CommandLine.arguments.dropFirst())) } catch { fail(error, status: 64) }

/// One row: a plan, its own rig, and the times of its turns.
final class Series {
    /// `independent` or `chain`.
    let label: String
    /// Tool steps in the plan (the answer step not counted).
    let steps: Int
    /// `maxParallelSteps` of the row's agent.
    let limit: Int
    /// The `tern_plan` arguments.
    let plan: String
    /// The row's own agent, stores and model.
    let rig: BenchRig
    /// Times of the timed turns.
    var times: [Duration] = []
    /// Process CPU time summed over the timed turns.
    var cpu: Duration = .zero

    /// A row of `steps` calls of `tool`, chained or independent.
    init(tool: String, steps: Int, chained: Bool, limit: Int) async throws {
        label = chained ? "chain" : "independent"
        self.steps = steps
        self.limit = limit
        plan = planJSON(tool: tool, count: steps, chained: chained)
        rig = try await BenchRig(maxParallelSteps: limit)
    }

    /// Runs one turn; records its time and the process's CPU time around it when `timed`.
    func turn(timed: Bool) async throws {
        let cpuStart = processCPUTime()
        let time = try await rig.runTurn(plan: plan, steps: steps)
        guard timed else { return }
        cpu += processCPUTime() - cpuStart
        times.append(time)
    }

    /// Turns/s is turns over the sum of their times (the rows' turns are interleaved).
    var stats: Stats { Stats(times, busy: times.reduce(.zero, +), cpu: cpu) }
}

/// Runs `warmup` untimed rounds, then `count` timed rounds; a round is one turn of each series in
/// turn, so load from other work on the machine falls on every row alike.
func interleave(_ rows: [Series], warmup: Int, count: Int) async throws {
    for round in 0..<(warmup + count) {
        for row in rows { try await row.turn(timed: round >= warmup) }
    }
}

do {
    let memory = Double(ProcessInfo.processInfo.physicalMemory) / 1_048_576
    out("tern-bench-agent \(Date().formatted(.iso8601)): AgentService, ScriptedModelProvider, memory stores")
    out("\(ProcessInfo.processInfo.activeProcessorCount) CPUs, \(String(format: "%.1f", memory)) MiB RAM")
    let atStart = procStatusMiB()["VmRSS"]

    let defaultLimit = AgentSettings(model: "bench").maxParallelSteps
    out("")
    out("executor overhead: a turn routed to a plan of N no-op tool steps + the answer step (2 scripted model calls)")
    out(
        "maxParallelSteps \(defaultLimit) (the default); rows interleaved turn by turn; \(options.turns) timed turns per row after \(options.warmup) warm-up; µs"
    )
    out("plan          steps  turns      p50      p90      min      max  turns/s  CPU/turn  p50 µs/step above 1 step")
    var rows: [Series] = []
    for (steps, chained) in [(1, false), (10, false), (50, false), (100, false), (50, true)] {
        rows.append(try await Series(tool: "noop", steps: steps, chained: chained, limit: defaultLimit))
    }
    try await interleave(rows, warmup: options.warmup, count: options.turns)
    let base = rows[0].stats.p50
    for row in rows {
        let stats = row.stats
        let perStep = row.steps > 1 ? column((stats.p50 - base) / Double(row.steps - 1), 10, decimals: 1) : pad("-", 10)
        out(
            row.label.padding(toLength: 12, withPad: " ", startingAt: 0) + pad("\(row.steps)", 6) + pad("\(stats.count)", 7)
                + column(stats.p50, 9) + column(stats.p90, 9) + column(stats.min, 9) + column(stats.max, 9)
                + column(stats.perSecond, 9) + column(stats.cpuPerTurn, 10) + perStep)
    }

    out("")
    out("10 steps of a 100 ms tool (Task.sleep): rows interleaved; \(options.runs) timed turns per row after 1 warm-up; ms")
    out("plan          steps  maxParallelSteps   median      min      max")
    let independent = try await Series(tool: "sleep100", steps: 10, chained: false, limit: 10)
    let chain = try await Series(tool: "sleep100", steps: 10, chained: true, limit: 10)
    let atDefault = try await Series(tool: "sleep100", steps: 10, chained: false, limit: defaultLimit)
    try await interleave([independent, atDefault, chain], warmup: 1, count: options.runs)
    for row in [independent, atDefault, chain] {
        let stats = row.stats
        out(
            row.label.padding(toLength: 12, withPad: " ", startingAt: 0) + pad("10", 6) + pad("\(row.limit)", 18)
                + column(stats.p50 / 1000, 9, decimals: 1) + column(stats.min / 1000, 9, decimals: 1)
                + column(stats.max / 1000, 9, decimals: 1))
    }
    let speedUp = chain.stats.p50 / independent.stats.p50
    out("speed-up of independent (limit 10) over chain: \(String(format: "%.2f", speedUp))x (ratio of medians)")

    out("")
    let status = procStatusMiB()
    if let peak = status["VmHWM"], let now = status["VmRSS"], let atStart {
        out(String(format: "memory: VmRSS at start %.1f MiB, peak RSS (VmHWM) %.1f MiB, VmRSS at the end %.1f MiB", atStart, peak, now))
    }
} catch { fail(error, status: 1) }
