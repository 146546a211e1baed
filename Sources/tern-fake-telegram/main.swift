// A standalone fake Telegram Bot API (see FakeTelegramServer) for tests that run Tern as
// separate processes, such as the replica fault suite (Tests/interop-replicas). Prints one line
// with its base URL, runs until SIGTERM/SIGINT. Clients tell themselves apart with a path
// segment in their base URL (`http://127.0.0.1:PORT/replica-a`); tests drive users and read what
// the bot did through `/_control/` (FakeTelegramControlRoutes).
import Foundation
import TernTesting

var host = "127.0.0.1"
var port = 0
var token = FakeTelegramServer.defaultToken
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
    case "--token":
        guard let value = arguments.popFirst(), value.contains(":") else {
            FileHandle.standardError.write(Data("--token needs a bot token like 123:ABC\n".utf8))
            exit(2)
        }
        token = value
    default:
        FileHandle.standardError.write(
            Data("usage: tern-fake-telegram [--host 127.0.0.1] [--port 0] [--token 123:ABC]\n".utf8))
        exit(2)
    }
}

let server = try await FakeTelegramServer.start(token: token, host: host, port: port)
FileHandle.standardOutput.write(Data("listening on \(server.baseURL)\n".utf8))  // unbuffered

await waitForTerminationSignal()
await server.stop()
