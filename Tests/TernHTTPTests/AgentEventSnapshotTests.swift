import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import Testing
import TernCore
import TernTesting

/// What an agent API client receives from `POST /v1/agent` with `Accept: text/event-stream`
/// (typed SSE events ending in `done`) and from the approval routes, byte for byte, recorded
/// under `Snapshots/AgentEventSnapshotTests/` (see Snapshot.swift to re-record).
@Suite(.timeLimit(.minutes(1))) struct AgentEventSnapshotTests {
    /// One tool step, then the answer step after it: sequential, so the event order is fixed.
    static let plan =
        #"{"goal":"look x up","steps":[{"id":"a","kind":"tool","tool":"lookup","args":{"q":"x"}},{"id":"done","kind":"answer","depends_on":["a"]}]}"#

    @Test func sse_planWithAToolCall() async throws {
        try await Harness.run(tools: [try EchoTool("lookup", output: "RESULT-TEXT")], clock: SnapshotScrubber.clock) {
            harness, client throws in
            harness.fake?.enqueue(
                .toolCalls(FakeLLMToolCall(id: "p1", name: "tern_plan", arguments: Self.plan)),
                .content("Found ", "x."))
            var headers = HTTPFields.authorized
            headers[.accept] = "text/event-stream"
            let response = try await client.execute(
                uri: "/v1/agent", method: .post, headers: headers,
                body: ByteBuffer(string: #"{"input":"look x up","conversation_id":"snap-1"}"#))
            expectSnapshot(HTTPSnapshot.render(response), named: "sse-plan-tool-call")
        }
    }

    /// A dangerous tool: the stream shows the call, the approval request, its decision (made on
    /// another connection), the result and the answer; the decision's answer is snapshotted too.
    @Test func sse_toolCallWaitingForApproval() async throws {
        let wipe = try EchoTool("wipe", risk: .dangerous, output: "wiped")
        try await Harness.run(tools: [wipe], clock: SnapshotScrubber.clock) { harness, client throws in
            harness.fake?.enqueue(
                .toolCalls(FakeLLMToolCall(id: "c1", name: "wipe", arguments: #"{"path":"/tmp/x"}"#)), .content("Wiped."))
            let port = try #require(client.port)
            let turn = Task { try await Self.streamAgent(port: port, body: #"{"input":"wipe it","conversation_id":"snap-2"}"#) }
            let request = try #require(await harness.approvalRequested.first())
            let listed = try await client.execute(uri: "/v1/approvals", method: .get, headers: .authorized)
            expectSnapshot(HTTPSnapshot.render(listed), named: "approvals-pending")
            let decided = try await client.execute(
                uri: "/v1/approvals/\(request.id)", method: .post, headers: .authorized,
                body: ByteBuffer(string: #"{"decision":"approve","reason":"fine"}"#))
            expectSnapshot(HTTPSnapshot.render(decided), named: "approval-decided")
            expectSnapshot(try await turn.value, named: "sse-approval")
        }
    }

    /// `POST /v1/agent` as an SSE stream on a connection of its own, rendered for a snapshot.
    static func streamAgent(port: Int, body: String) async throws -> String {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/agent")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(Harness.apiKey)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "text/event-stream")
        request.body = .bytes(ByteBuffer(string: body))
        do {
            let response = try await http.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 20)
            try await http.shutdown()
            return HTTPSnapshot.render(
                status: Int(response.status.code), reason: response.status.reasonPhrase,
                headers: response.headers.map { (name: $0.name, value: $0.value) }, body: String(buffer: body))
        } catch {
            try await http.shutdown()
            throw error
        }
    }
}
