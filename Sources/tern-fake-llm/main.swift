// A standalone fake OpenAI-compatible server (default echo behaviour) for the Python SDK
// interop test and benchmarks. Prints one line with its base URL, runs until SIGTERM/SIGINT.
// `--quirks llama-cpp-python|llama-server|none` (or FAKE_LLM_QUIRKS) reproduces a real
// server's quirks (see FakeLLMQuirks). `--slow-stream SECONDS` waits that long before each
// chunk of a streamed answer and `--tokens N` makes the echo N chunks long (see FakeLLMPace):
// `--slow-stream 1 --tokens 60` streams a token a second for a minute.
import Foundation
import TernTesting

let usage =
    "usage: tern-fake-llm [--host 127.0.0.1] [--port 0] [--quirks none|llama-cpp-python|llama-server]"
    + " [--slow-stream SECONDS_PER_TOKEN] [--tokens N]\n"

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
    exit(2)
}

var host = "127.0.0.1"
var port = 0
var quirksName = ProcessInfo.processInfo.environment["FAKE_LLM_QUIRKS"] ?? "none"
var secondsPerToken: Double?
var tokens: Int?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--host": host = arguments.popFirst() ?? host
    case "--port":
        guard let value = arguments.popFirst().flatMap(Int.init) else { fail("--port needs a number") }
        port = value
    case "--quirks": quirksName = arguments.popFirst() ?? quirksName
    case "--slow-stream":
        let text = arguments.popFirst()
        guard let value = text.flatMap(Double.init), value.isFinite, value >= 0 else {
            fail("--slow-stream needs seconds per token (a number >= 0), got \(text.map { "'\($0)'" } ?? "nothing")")
        }
        secondsPerToken = value
    case "--tokens":
        let text = arguments.popFirst()
        guard let value = text.flatMap(Int.init), value > 0 else {
            fail("--tokens needs a whole number > 0, got \(text.map { "'\($0)'" } ?? "nothing")")
        }
        tokens = value
    default:
        FileHandle.standardError.write(Data(usage.utf8))
        exit(2)
    }
}

guard let quirks = FakeLLMQuirks(name: quirksName) else {
    fail("unknown quirks '\(quirksName)': use none, llama-cpp-python or llama-server")
}
var pace: FakeLLMPace?
if secondsPerToken != nil || tokens != nil {
    pace = FakeLLMPace(interval: .milliseconds(Int64(((secondsPerToken ?? 0) * 1000).rounded())), tokens: tokens)
}
let server = try await FakeLLMServer.start(host: host, port: port, quirks: quirks, pace: pace)
FileHandle.standardOutput.write(Data("listening on \(server.baseURL)\n".utf8))  // unbuffered

await waitForTerminationSignal()
await server.stop()
