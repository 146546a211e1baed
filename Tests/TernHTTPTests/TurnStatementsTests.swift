import Foundation
import HTTPTypes
import NIOCore
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import TernStore
import TernTesting
import Testing
import TernCore

/// How many SQL statements a chat turn costs once caches are warm (issue: one fast turn path):
/// a stored API key, a context whose tools are offered, 20 messages of history sent by the
/// client, the same conversation each time. The statements are those SQLiteKit logs at debug.
@Suite(.timeLimit(.minutes(1))) struct TurnStatementsTests {
    /// Collects the SQL of every statement the database runs.
    final class StatementLog: Sendable {
        private let statements = Mutex<[String]>([])
        func record(_ sql: String) { statements.withLock { $0.append(sql) } }
        func drain() -> [String] {
            statements.withLock { statements in
                let drained = statements
                statements = []
                return drained
            }
        }
    }

    struct Recorder: LogHandler {
        let log: StatementLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            if let sql = event.metadata?["sql"] { log.record("\(sql)") }
        }
    }

    static func body(_ text: String) -> ByteBuffer {
        var messages: [String] = []
        for i in 0..<10 {
            messages.append(#"{"role":"user","content":"question \#(i)"}"#)
            messages.append(#"{"role":"assistant","content":"answer \#(i)"}"#)
        }
        messages.append(#"{"role":"user","content":"\#(text)"}"#)
        return ByteBuffer(string: #"{"model":"tern","messages":[\#(messages.joined(separator: ","))]}"#)
    }

    @Test func aSteadyStateTurn_runsAtMostFourStatements_userMessageStoredFirst() async throws {
        let log = StatementLog()
        let clock = try EchoTool("clock", risk: .read)
        // Caches that never age out here: a loaded machine may take longer than their 5 s between
        // the warm-up turns and the measured one, and the count must not depend on time.
        try await Harness.run(
            tools: [clock], databaseLogger: Logger(label: "sql", factory: { _ in Recorder(log: log) }),
            cacheMaxAge: .seconds(3600)
        ) {
            harness, client throws in
            let (_, secret) = try await harness.keys.createKey(for: .localUser, context: nil, name: "bench")
            var headers = IdentityTests.headers(bearer: secret, ["X-Tern-Conversation-Id": "steady"])
            headers[.accept] = "application/json"
            for text in ["warm", "warm again"] {
                harness.fake?.enqueue(.content("ok"))
                let response = try await client.execute(
                    uri: "/v1/chat/completions", method: .post, headers: headers, body: Self.body(text))
                #expect(response.status == .ok)
            }
            _ = log.drain()
            harness.fake?.enqueue(.content("ok"))
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: headers, body: Self.body("measured"))
            #expect(response.status == .ok)
            let statements = log.drain().filter { !["BEGIN", "COMMIT", "BEGIN IMMEDIATE"].contains($0.trimmed) }
            #expect(statements.count <= 4, "\(statements.count) statements:\n\(statements.joined(separator: "\n"))")
            let inserts = statements.filter { $0.trimmed.hasPrefix("INSERT INTO messages") }
            #expect(inserts.count == 2, "the user message and the answer, one statement each")
        }
    }
}

extension String {
    fileprivate var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
