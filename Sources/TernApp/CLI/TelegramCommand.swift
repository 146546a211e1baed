import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TernCore
import TernStore
import TernTelegram

/// `tern telegram link <user>` and `tern telegram status`.
struct TelegramCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "telegram", abstract: "Link Telegram users and check the bot.", subcommands: [Link.self, Status.self])

    struct Link: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a one-time code; the user sends /start <code> to the bot to link their Telegram account.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "User email or id.") var user: String
        @Option(help: "Minutes the code stays valid.") var minutes = 30

        func validate() throws {
            guard (1...10_080).contains(minutes) else { throw ValidationError("--minutes must be from 1 to 10080") }
        }

        func run() async throws {
            let config = try options.load()
            let secret = try config.secretKey ?? SecretKeyFile.load(dataDir: config.dataDir)
            try await AdminStores.with(options) { stores in
                let found = try await stores.user(user)
                let channels = SQLChannelStore(database: stores.database, hasher: APIKeyHasher(secretKey: secret))
                let code = try await channels.createLinkCode(
                    for: found.id, expiresAt: Date().addingTimeInterval(Double(minutes) * 60))
                print(code)
                FileHandle.standardError.write(
                    Data("\(found.displayName) sends /start \(code) to the bot within \(minutes) minutes; the code works once.\n".utf8))
            }
        }
    }

    struct Status: AsyncParsableCommand {
        /// The running server's view (`GET /admin/api/v1/diagnostics`), as lines.
        static func runningBot(config: TernConfig, http: HTTPClient) async -> String {
            let host = config.urlHost
            var request = HTTPClientRequest(url: "http://\(host):\(config.port)/admin/api/v1/diagnostics")
            if let key = config.apiKeys.first { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
            do {
                let response = try await http.execute(request, timeout: .seconds(3))
                let body = try await response.body.collect(upTo: 1 << 20)
                guard response.status == .ok,
                    let root = try? JSONValue(jsonText: String(buffer: body)),  // not JSON: reported below
                    let bot = root["telegram"]
                else { return "server: answered \(response.status.code) without a telegram section" }
                let text = bot.objectValue?.keys.sorted().map {
                    "\($0): \(bot[$0].map { $0 == .null ? "-" : $0.stringValue ?? $0.jsonText } ?? "-")"
                }
                return (["server (running bot):"] + (text ?? [])).joined(separator: "\n  ")
            } catch {
                return
                    "server: not reachable at \(host):\(config.port) (\(error)); queue depth and the last error are known only to a running tern serve"
            }
        }

        static let configuration = CommandConfiguration(abstract: "The bot's identity and the stored update offset.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let config = try options.load()
            guard let telegram = config.telegram else { throw CLIError("TERN_TELEGRAM_TOKEN is not set: no bot is configured") }
            let secret = try config.secretKey ?? SecretKeyFile.load(dataDir: config.dataDir)
            try await AdminStores.with(options) { stores in
                let channels = SQLChannelStore(database: stores.database, hasher: APIKeyHasher(secretKey: secret))
                let offset = try await channels.offset(for: TelegramService.channel)
                let http = HTTPClient(eventLoopGroupProvider: .singleton)
                do {
                    let me = try await BotAPIClient(token: telegram.token, httpClient: http, baseURL: telegram.apiURL).getMe()
                    print("bot: @\(me.username ?? "?") (\(me.firstName), id \(me.id))")
                } catch {
                    print("bot: unreachable: \(error)")
                }
                print("api: \(telegram.apiURL)")
                print("offset (stored): \(offset.map(String.init) ?? "none yet")")
                // Queue depth and the last error live in the running server: ask it.
                let running = await Self.runningBot(config: config, http: http)
                try await http.shutdown()
                print(running)
            }
        }
    }
}
