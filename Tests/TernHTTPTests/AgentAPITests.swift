import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOHTTP1
import Synchronization
import TernStore
import Testing
import TernAgent
import TernCore
import TernTesting

/// A tool for HTTP tests: fixed risk, returns its arguments (or a fixed text), counts calls.
final class EchoTool: Tool {
    let spec: ToolSpec
    let output: String?
    let calls = Mutex(0)

    init(_ name: String, risk: ToolRisk = .read, output: String? = nil) throws {
        spec = try ToolSpec(name: name, description: "echoes", risk: risk)
        self.output = output
    }

    var callCount: Int { calls.withLock { $0 } }

    func call(_ input: JSONValue, in context: ToolContext) async throws -> ToolOutput {
        calls.withLock { $0 += 1 }
        return .text(output ?? input.jsonText)
    }
}

@Suite(.timeLimit(.minutes(1))) struct AgentAPITests {
    static let plan =
        #"{"goal":"both","steps":[{"id":"a","kind":"tool","tool":"lookup","args":{"q":"x"}},{"id":"b","kind":"tool","tool":"lookup","args":{"q":"y"}},{"id":"done","kind":"answer"}]}"#

    @Test func agent_json_returnsAnswerStepsUsageAndTraceID() async throws {
        try await Harness.run(tools: [try EchoTool("lookup")]) { harness, client throws in
            harness.fake?.enqueue(
                .toolCalls(FakeLLMToolCall(id: "p1", name: "tern_plan", arguments: Self.plan)), .content("Found x and y."))
            let response = try await client.execute(
                uri: "/v1/agent", method: .post, headers: .authorized,
                body: ByteBuffer(string: #"{"input":"look both up","conversation_id":"thread-1"}"#))
            #expect(response.status == .ok)
            let body = try json(response.body)
            #expect(body["answer"] as? String == "Found x and y.")
            #expect(body["conversation_id"] as? String == "thread-1")
            #expect(body["finish_reason"] as? String == "stop")
            let steps = try #require(body["steps"] as? [[String: Any]])
            #expect(Set(steps.compactMap { $0["id"] as? String }) == ["a", "b", "done"])
            #expect(steps.allSatisfy { $0["status"] as? String == "succeeded" })
            #expect((body["usage"] as? [String: Any])?["total_tokens"] as? Int ?? 0 > 0)
            let traceID = try #require(body["trace_id"] as? String)
            let stored = await harness.store.next { $0.role == .assistant }
            #expect(stored?.id.rawValue == traceID)
            #expect(stored?.toolData?.contains(#""route":"plan""#) == true)
        }
    }

    @Test func agent_sse_streamsTypedEvents() async throws {
        try await Harness.run(tools: [try EchoTool("lookup")]) { harness, client throws in
            harness.fake?.enqueue(
                .toolCalls(FakeLLMToolCall(id: "p1", name: "tern_plan", arguments: Self.plan)), .content("Done", "!"))
            var headers = HTTPFields.authorized
            headers[.accept] = "text/event-stream"
            let response = try await client.execute(
                uri: "/v1/agent", method: .post, headers: headers, body: ByteBuffer(string: #"{"input":"go"}"#))
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/event-stream")
            // `: keep-alive` comments may come between events on a slow machine; they carry nothing.
            let frames = String(buffer: response.body).components(separatedBy: "\n\n")
                .filter { !$0.isEmpty && !$0.hasPrefix(":") }
            let names = frames.compactMap { $0.split(separator: "\n").first.map { String($0.dropFirst("event: ".count)) } }
            #expect(names.first == "notice")
            #expect(names.contains("plan"))
            #expect(names.filter { $0 == "tool_call" }.count == 2)
            #expect(names.filter { $0 == "tool_result" }.count == 2)
            // The answer streams, then the answer step ends, then `done` sums it up.
            #expect(Array(names.suffix(4)) == ["content", "content", "step", "done"])
            let done = try #require(frames.last?.components(separatedBy: "\ndata: ").last)
            let summary = try json(ByteBuffer(string: done))
            #expect(summary["answer"] as? String == "Done!")
        }
    }

    @Test(arguments: [
        (#"{}"#, "'input' is required", "input"),
        (#"{"input": "   "}"#, "'input' must not be empty", "input"),
        (#"{"input": 5}"#, "'input' must be a string, got number", "input"),
        (
            #"{"input": "hi", "conversation_id": "has space"}"#, "'conversation_id' must be 1 to 256 visible ASCII characters",
            "conversation_id"
        ),
    ])
    func agent_badInput_isA400NamingTheField_andStoresNothing(body: String, message: String, param: String) async throws {
        try await Harness.run { harness, client throws in
            let response = try await client.execute(
                uri: "/v1/agent", method: .post, headers: .authorized, body: ByteBuffer(string: body))
            #expect(response.status == .badRequest)
            let error = try errorBody(response.body)
            #expect(error["message"] as? String == message)
            #expect(error["param"] as? String == param)
            #expect(try await harness.count("messages") == 0)
        }
    }

    @Test func openAIStream_rendersProgressLines_perVerbosity() async throws {
        try await Harness.run(tools: [try EchoTool("lookup", output: "RESULT-TEXT")]) { harness, client throws in
            for verbosity in ["default", "verbose"] {
                harness.fake?.enqueue(
                    .toolCalls(FakeLLMToolCall(id: "c1", name: "lookup", arguments: #"{"q":"x"}"#)), .content("answer"))
                var headers = HTTPFields.authorized
                headers[HTTPField.Name("X-Tern-Verbosity")!] = verbosity
                let response = try await client.execute(
                    uri: "/v1/chat/completions", method: .post, headers: headers,
                    body: chatBody("look \(verbosity)", stream: true))
                #expect(response.status == .ok)
                let content = sseData(response.body).filter { $0 != "[DONE]" }.compactMap { frame -> String? in
                    let chunk = try? json(ByteBuffer(string: frame))
                    let delta = (chunk?["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any]
                    return delta?["content"] as? String
                }.joined()
                #expect(content.contains("> → `lookup`"))
                #expect(content.hasSuffix("answer"))
                #expect(content.contains("RESULT-TEXT") == (verbosity == "verbose"))
            }
        }
    }

    @Test func unknownVerbosity_isA400() async throws {
        try await Harness.run { harness, client throws in
            var headers = HTTPFields.authorized
            headers[HTTPField.Name("X-Tern-Verbosity")!] = "loud"
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: headers, body: chatBody())
            #expect(response.status == .badRequest)
            #expect(try errorBody(response.body)["param"] as? String == "X-Tern-Verbosity")
            #expect(try await harness.count("messages") == 0)
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct ApprovalAPITests {
    @Test func approvalOverHTTP_onlyAMemberOfTheContextCanDecide_thenTheToolRuns() async throws {
        let wipe = try EchoTool("wipe", risk: .dangerous, output: "wiped")
        try await Harness.run(tools: [wipe]) { harness, client throws in
            harness.fake?.enqueue(
                .toolCalls(FakeLLMToolCall(id: "c1", name: "wipe", arguments: #"{"path":"/tmp/x"}"#)), .content("Wiped."))
            // The turn waits on its own connection while the decision comes on another.
            let turn = Task { try await agentRequest(port: client.port, input: "wipe") }
            let request = try #require(await harness.approvalRequested.first())
            #expect(request.status == .pending)

            // Another tenant: not found in its own context, forbidden in ours.
            let (outsider, _) = try await harness.tenants.provisionUser(
                email: "eve@example.com", displayName: "Eve", role: .user)
            let (_, secret) = try await harness.keys.createKey(for: outsider.id, context: nil, name: "k")
            let decide = ByteBuffer(string: #"{"decision":"approve"}"#)
            let foreign = try await client.execute(
                uri: "/v1/approvals/\(request.id)", method: .post, headers: IdentityTests.headers(bearer: secret),
                body: decide)
            #expect(foreign.status == .notFound)
            let crossing = try await client.execute(
                uri: "/v1/approvals/\(request.id)", method: .post,
                headers: IdentityTests.headers(bearer: secret, ["X-Tern-Context": "default"]), body: decide)
            #expect(crossing.status == .forbidden)

            let bad = try await client.execute(
                uri: "/v1/approvals/\(request.id)", method: .post, headers: .authorized,
                body: ByteBuffer(string: #"{"decision":"maybe"}"#))
            #expect(bad.status == .badRequest)
            #expect(try errorBody(bad.body)["param"] as? String == "decision")

            let listed = try await client.execute(uri: "/v1/approvals", method: .get, headers: .authorized)
            #expect((try json(listed.body)["data"] as? [[String: Any]])?.first?["id"] as? String == request.id.rawValue)

            let approved = try await client.execute(
                uri: "/v1/approvals/\(request.id)", method: .post, headers: .authorized, body: decide)
            #expect(approved.status == .ok)
            #expect(try json(approved.body)["status"] as? String == "approved")

            let answer = try await turn.value
            #expect(try json(answer)["answer"] as? String == "Wiped.")
            #expect(wipe.callCount == 1)

            let again = try await client.execute(
                uri: "/v1/approvals/\(request.id)", method: .post, headers: .authorized, body: decide)
            #expect(again.status == .conflict)
            #expect(try errorBody(again.body)["message"] as? String == "approval \(request.id) is already approved")
        }
    }

    @Test func deniedOverHTTP_theToolNeverRuns() async throws {
        let wipe = try EchoTool("wipe", risk: .dangerous)
        try await Harness.run(tools: [wipe]) { harness, client throws in
            harness.fake?.enqueue(
                .toolCalls(FakeLLMToolCall(id: "c1", name: "wipe", arguments: "{}")), .content("Not wiped."))
            // The turn waits on its own connection while the decision comes on another.
            let turn = Task { try await agentRequest(port: client.port, input: "wipe") }
            let request = try #require(await harness.approvalRequested.first())
            let denied = try await client.execute(
                uri: "/v1/approvals/\(request.id)", method: .post, headers: .authorized,
                body: ByteBuffer(string: #"{"decision":"deny","reason":"no"}"#))
            #expect(denied.status == .ok)
            _ = try await turn.value
            #expect(wipe.callCount == 0)
            let toolMessage = String(decoding: harness.fake?.chatRequests().last?.body ?? Data(), as: UTF8.self)
            #expect(toolMessage.contains("denied: no"))
        }
    }
}

/// Runs `POST /v1/agent` on a connection of its own and returns the body.
func agentRequest(
    port: Int?, input: String, key: String = Harness.apiKey, context: String? = nil
) async throws -> ByteBuffer {
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port ?? 0)/v1/agent")
    request.method = .POST
    request.headers.add(name: "Authorization", value: "Bearer \(key)")
    if let context { request.headers.add(name: "X-Tern-Context", value: context) }
    request.body = .bytes(ByteBuffer(string: #"{"input":"\#(input)"}"#))
    do {
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        try await http.shutdown()
        return body
    } catch {
        try await http.shutdown()
        throw error
    }
}
