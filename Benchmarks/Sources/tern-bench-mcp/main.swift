// Benchmarks MCP tool calls: the round trip of a trivial call (`echo`) over stdio and over
// streamable HTTP (SSE and JSON answers) against servers written with the official Python SDK,
// and what the client pool and the Tool adapter add per call. Prints one line per measurement.
//
//   tern-bench-mcp <python with the mcp package> <Tests/mcp-servers dir> [calls]
import Foundation
import Logging
import TernCore
import TernMCP
import TernNetwork
import TernTools

func median(_ values: [Duration]) -> Duration { values.sorted()[values.count / 2] }
func percentile(_ values: [Duration], _ p: Double) -> Duration {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}
func ms(_ duration: Duration) -> String { String(format: "%.3f ms", duration.timeInterval * 1000) }
func summary(_ label: String, _ values: [Duration]) {
    let total = values.reduce(Duration.zero, +)
    print(
        "\(label): median \(ms(median(values))), p99 \(ms(percentile(values, 0.99))), "
            + String(format: "%.0f calls/s sequential, ", Double(values.count) / total.timeInterval)
            + String(format: "Tern CPU %.1f µs/call", lastCPUPerCall.timeInterval * 1e6))
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: tern-bench-mcp <python> <mcp-servers dir> [calls]\n".utf8))
    exit(64)
}
let python = arguments[1]
let servers = URL(fileURLWithPath: arguments[2])
let calls = arguments.count > 3 ? Int(arguments[3]) ?? 2000 : 2000
var logger = Logger(label: "tern.bench.mcp")
logger.logLevel = .error
let clock = ContinuousClock()

/// CPU time (user + system) this process has used so far.
func cpuTime() -> Duration {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let micros =
        (Int64(usage.ru_utime.tv_sec) + Int64(usage.ru_stime.tv_sec)) * 1_000_000
        + Int64(usage.ru_utime.tv_usec) + Int64(usage.ru_stime.tv_usec)
    return .microseconds(micros)
}

/// CPU per call of the last ``measure(_:)`` (Tern's process only; the server's CPU is not in it).
nonisolated(unsafe) var lastCPUPerCall = Duration.zero

/// Times `calls` sequential calls of `body` after 100 warm-up calls.
func measure(_ body: () async throws -> Void) async throws -> [Duration] {
    for _ in 0..<100 { try await body() }
    var times: [Duration] = []
    times.reserveCapacity(calls)
    let cpuStart = cpuTime()
    for _ in 0..<calls {
        let start = clock.now
        try await body()
        times.append(clock.now - start)
    }
    lastCPUPerCall = (cpuTime() - cpuStart) / calls
    return times
}

/// Runs `count` calls with `width` in flight at once; returns calls per second.
func throughput(width: Int, count: Int, _ body: @escaping @Sendable () async throws -> Void) async throws -> Double {
    let start = clock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for lane in 0..<width {
            group.addTask {
                for _ in stride(from: lane, to: count, by: width) { try await body() }
            }
        }
        try await group.waitForAll()
    }
    return Double(count) / (clock.now - start).timeInterval
}

/// A directory with one server for one context, so the pool's own cost is what is measured.
struct OneServer: MCPServerDirectory {
    let descriptor: MCPServerDescriptor
    func descriptors(for context: ContextID) async throws -> [MCPServerDescriptor] { [descriptor] }
}

let echoArguments: [String: JSONValue] = ["text": "ping"]

// 1. stdio: the session alone, then through the pool and the Tool adapter.
let stdioEndpoint = MCPEndpoint(
    name: "echo", transport: .stdio(command: python, arguments: [servers.appendingPathComponent("echo_server.py").path], environment: [:]))
let connector = MCPConnector(
    logger: logger,
    makeTransport: MCPTransports.live(
        networkGuard: NetworkGuard(policy: URLPolicy(), resolver: SystemHostResolver()), logger: logger))
let spawnStart = clock.now
let session = try await connector.connect(stdioEndpoint)
print("stdio connect (spawn python + initialize): \(ms(clock.now - spawnStart))")
let mcpArguments = echoArguments
let direct = try await measure { _ = try await session.callTool("echo", arguments: mcpArguments) }
summary("stdio tools/call echo, session", direct)
let ping = try await measure { try await session.ping() }
summary("stdio ping, session", ping)
let stdioWide = try await throughput(width: 8, count: calls) { _ = try await session.callTool("echo", arguments: mcpArguments) }
print(String(format: "stdio tools/call echo, 8 in flight: %.0f calls/s", stdioWide))
await session.close()

let pool = MCPClientPool(
    directory: OneServer(
        descriptor: MCPServerDescriptor(name: "echo", scope: .global, enabled: true, fingerprint: "bench", resolve: { stdioEndpoint })),
    connector: connector, logger: logger)
let context: ContextID = "bench"
let tools = try await pool.tools(for: context)
guard let echoTool = tools.first(where: { $0.spec.name == "echo__echo" }) else { fatalError("no echo__echo in \(tools.map(\.spec.name))") }
let toolContext = ToolContext(contextID: context, userID: "bench")
let pooled = try await measure { _ = try await echoTool.call(.object(echoArguments), in: toolContext) }
summary("stdio tools/call echo, pool + Tool adapter", pooled)
print("pool + adapter overhead per call (median difference): \(ms(median(pooled) - median(direct)))")
let listing = try await measure { _ = try await pool.tools(for: context) }
summary("pool tools(for:) with the list cached (per turn)", listing)
await pool.closeAll()

// 2. streamable HTTP: the same call against http_server.py, SSE answers then JSON answers.
for mode in ["sse", "json"] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [servers.appendingPathComponent("http_server.py").path, "--port", "0"] + (mode == "json" ? ["--json"] : [])
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    var line = Data()
    while !line.contains(UInt8(ascii: "\n")) {
        guard let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty else { break }
        line += byte
    }
    let text = String(decoding: line, as: UTF8.self)
    guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5).prefix { $0.isNumber }) else {
        process.terminate()
        fatalError("http_server.py said \(text)")
    }
    let httpGuard = NetworkGuard(
        policy: URLPolicy(allowedPorts: [port], allowList: [try NetworkAllowEntry(parsing: "127.0.0.1:\(port)")]),
        resolver: SystemHostResolver())
    let httpConnector = MCPConnector(logger: logger, makeTransport: MCPTransports.live(networkGuard: httpGuard, logger: logger))
    let httpStart = clock.now
    let httpSession = try await httpConnector.connect(
        MCPEndpoint(name: "http", transport: .http(url: "http://127.0.0.1:\(port)/mcp", headers: [:])))
    print("http (\(mode)) connect + initialize: \(ms(clock.now - httpStart))")
    let overHTTP = try await measure { _ = try await httpSession.callTool("echo", arguments: mcpArguments) }
    summary("http (\(mode)) tools/call echo, session", overHTTP)
    let httpWide = try await throughput(width: 8, count: calls) { _ = try await httpSession.callTool("echo", arguments: mcpArguments) }
    print(String(format: "http (\(mode)) tools/call echo, 8 in flight: %.0f calls/s", httpWide))
    await httpSession.close()
    process.terminate()
    process.waitUntilExit()
}
