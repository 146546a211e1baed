// A standalone fake OpenAI-compatible server (default echo behaviour) for the Python SDK
// interop test and benchmarks. Prints one line with its base URL, runs until SIGTERM/SIGINT.
// `--quirks llama-cpp-python|llama-server|none` (or FAKE_LLM_QUIRKS) reproduces a real
// server's quirks (see FakeLLMQuirks).
import Foundation
import TernTesting

var host = "127.0.0.1"
var port = 0
var quirksName = ProcessInfo.processInfo.environment["FAKE_LLM_QUIRKS"] ?? "none"
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--host": host = arguments.popFirst() ?? host
    case "--port":
        guard let value = arguments.popFirst().flatMap(Int.init) else {
            FileHandle.standardError.write(Data("--port needs a number\n".utf8))
            exit(2)
        }
        port = value
    case "--quirks": quirksName = arguments.popFirst() ?? quirksName
    default:
        FileHandle.standardError.write(
            Data("usage: tern-fake-llm [--host 127.0.0.1] [--port 0] [--quirks none|llama-cpp-python|llama-server]\n".utf8))
        exit(2)
    }
}

guard let quirks = FakeLLMQuirks(name: quirksName) else {
    FileHandle.standardError.write(Data("unknown quirks '\(quirksName)': use none, llama-cpp-python or llama-server\n".utf8))
    exit(2)
}
let server = try await FakeLLMServer.start(host: host, port: port, quirks: quirks)
FileHandle.standardOutput.write(Data("listening on \(server.baseURL)\n".utf8))  // unbuffered

await waitForTerminationSignal()
await server.stop()
