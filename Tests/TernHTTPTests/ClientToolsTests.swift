import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import TernStore
import Testing
import TernCore
import TernTesting

/// Client tools the OpenAI way: offered next to Tern's tools, calls handed back with
/// `finish_reason: tool_calls`, the turn continued by the client's `tool` messages.
@Suite(.timeLimit(.minutes(1))) struct ClientToolsTests {
    static let weatherTool =
        #"{"type":"function","function":{"name":"get_weather","description":"weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}"#

    static func body(_ messages: String, stream: Bool = false, tools: String = weatherTool, extra: String = "")
        -> ByteBuffer
    {
        ByteBuffer(string: #"{"model":"tern","stream":\#(stream),"messages":[\#(messages)],"tools":[\#(tools)]\#(extra)}"#)
    }

    static let ask = #"{"role":"user","content":"weather in Oslo?"}"#
    static let askedCall =
        #"{"role":"assistant","content":"","tool_calls":[{"id":"call_w","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]}"#
    static let result = #"{"role":"tool","tool_call_id":"call_w","content":"sunny, 21 C"}"#

    static func offeredNames(_ request: FakeLLMRecordedRequest?) -> [String] {
        request?.json?["tools"]?.arrayValue?.compactMap { $0["function"]?["name"]?.stringValue } ?? []
    }

    @Test func nonStreamed_clientToolCall_endsWithToolCallsAndIsStored() async throws {
        try await Harness.run { harness, client throws in
            let fake = try #require(harness.fake)
            fake.enqueue(.toolCalls(FakeLLMToolCall(id: "call_w", name: "get_weather", arguments: #"{"city":"Oslo"}"#)))
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized, body: Self.body(Self.ask))
            #expect(response.status == .ok)
            let choice = try #require((try json(response.body)["choices"] as? [[String: Any]])?.first)
            #expect(choice["finish_reason"] as? String == "tool_calls")
            let message = try #require(choice["message"] as? [String: Any])
            #expect(message["content"] is NSNull)
            let call = try #require((message["tool_calls"] as? [[String: Any]])?.first)
            #expect(call["id"] as? String == "call_w")
            #expect(call["type"] as? String == "function")
            let function = call["function"] as? [String: Any]
            #expect(function?["name"] as? String == "get_weather")
            #expect(function?["arguments"] as? String == #"{"city":"Oslo"}"#)
            #expect(Self.offeredNames(fake.chatRequests().first).contains("get_weather"))

            let rows = try await harness.database.read { db in
                try await db.raw("SELECT role, tool_data FROM messages ORDER BY created_at").all()
            }
            #expect(try rows.map { try $0.decode(column: "role", as: String.self) } == ["user", "assistant"])
            let toolData = try rows.last?.decode(column: "tool_data", as: String?.self)
            #expect(toolData?.contains("client_round") == true)
        }
    }

    @Test func continuation_sendsTheResultToTheModelAndStoresIt() async throws {
        try await Harness.run { harness, client throws in
            let fake = try #require(harness.fake)
            fake.enqueue(.toolCalls(FakeLLMToolCall(id: "call_w", name: "get_weather", arguments: #"{"city":"Oslo"}"#)))
            fake.enqueue(.content("It is sunny."))
            _ = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized, body: Self.body(Self.ask))
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized,
                body: Self.body([Self.ask, Self.askedCall, Self.result].joined(separator: ",")))
            #expect(response.status == .ok)
            let choice = (try json(response.body)["choices"] as? [[String: Any]])?.first
            #expect((choice?["message"] as? [String: Any])?["content"] as? String == "It is sunny.")
            #expect(choice?["finish_reason"] as? String == "stop")

            let upstream = try #require(fake.chatRequests().last?.json?["messages"]?.arrayValue)
            let roles = upstream.compactMap { $0["role"]?.stringValue }
            #expect(roles.suffix(3) == ["user", "assistant", "tool"])
            #expect(upstream.last?["tool_call_id"]?.stringValue == "call_w")
            #expect(upstream.last?["content"]?.stringValue == "sunny, 21 C")
            #expect(upstream[upstream.count - 2]["tool_calls"]?.arrayValue?.first?["function"]?["name"]?.stringValue == "get_weather")

            let rows = try await harness.database.read { db in
                try await db.raw("SELECT role, content FROM messages ORDER BY created_at").all()
            }
            #expect(try rows.map { try $0.decode(column: "role", as: String.self) } == ["user", "assistant", "tool", "assistant"])
            #expect(try rows[2].decode(column: "content", as: String.self) == "sunny, 21 C")
        }
    }

    @Test func streamed_clientToolCall_arrivesAsDeltasThenToolCallsFinish() async throws {
        try await Harness.run { harness, client throws in
            harness.fake?.enqueue(
                .toolCalls(FakeLLMToolCall(id: "call_w", name: "get_weather", argumentPieces: [#"{"city":"#, #""Oslo"}"#])))
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized, body: Self.body(Self.ask, stream: true))
            #expect(response.status == .ok)
            let frames = sseData(response.body)
            #expect(frames.last == "[DONE]")
            let choices = try frames.dropLast().compactMap {
                ((try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["choices"] as? [[String: Any]])?.first
            }
            let calls = choices.compactMap { ($0["delta"] as? [String: Any])?["tool_calls"] as? [[String: Any]] }.flatMap { $0 }
            #expect(calls.count == 1)
            #expect(calls.first?["index"] as? Int == 0)
            #expect(calls.first?["id"] as? String == "call_w")
            #expect((calls.first?["function"] as? [String: Any])?["arguments"] as? String == #"{"city":"Oslo"}"#)
            #expect(choices.compactMap { $0["finish_reason"] as? String } == ["tool_calls"])
        }
    }

    @Test func clashWithTernTool_isRenamedForTheModelAndRestoredForTheClient() async throws {
        let tern = try EchoTool("get_weather", output: "tern's weather")
        try await Harness.run(tools: [tern]) { harness, client throws in
            let fake = try #require(harness.fake)
            fake.enqueue(.toolCalls(FakeLLMToolCall(id: "c1", name: "client_get_weather", arguments: "{}")))
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized, body: Self.body(Self.ask))
            let offered = Self.offeredNames(fake.chatRequests().first)
            #expect(offered.contains("get_weather"))
            #expect(offered.contains("client_get_weather"))
            let choice = (try json(response.body)["choices"] as? [[String: Any]])?.first
            let call = ((choice?["message"] as? [String: Any])?["tool_calls"] as? [[String: Any]])?.first
            #expect((call?["function"] as? [String: Any])?["name"] as? String == "get_weather")
            #expect(tern.callCount == 0)
        }
    }

    @Test func mixedRound_runsTernToolAndGivesTheModelTheWholeRoundOnContinuation() async throws {
        let lookup = try EchoTool("lookup", output: "LOOKUP-RESULT")
        try await Harness.run(tools: [lookup]) { harness, client throws in
            let fake = try #require(harness.fake)
            fake.enqueue(
                .toolCalls(
                    FakeLLMToolCall(id: "t1", name: "lookup", arguments: "{}"),
                    FakeLLMToolCall(id: "call_w", name: "get_weather", arguments: #"{"city":"Oslo"}"#)))
            fake.enqueue(.content("done"))
            let first = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized, body: Self.body(Self.ask))
            let calls =
                (((try json(first.body)["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?[
                    "tool_calls"] as? [[String: Any]]) ?? []
            #expect(calls.compactMap { $0["id"] as? String } == ["call_w"])
            #expect(lookup.callCount == 1)

            _ = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized,
                body: Self.body([Self.ask, Self.askedCall, Self.result].joined(separator: ",")))
            let upstream = try #require(fake.chatRequests().last?.json?["messages"]?.arrayValue)
            let assistant = try #require(upstream.last { $0["role"]?.stringValue == "assistant" })
            #expect(assistant["tool_calls"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["t1", "call_w"])
            let tools = upstream.filter { $0["role"]?.stringValue == "tool" }
            #expect(tools.compactMap { $0["tool_call_id"]?.stringValue } == ["t1", "call_w"])
            #expect(tools.first?["content"]?.stringValue == "LOOKUP-RESULT")
            #expect(lookup.callCount == 1)
        }
    }

    @Test func toolChoiceNone_offersNoClientTools_andNamedChoiceIsForwarded() async throws {
        try await Harness.run { harness, client throws in
            let fake = try #require(harness.fake)
            fake.enqueue(.content("plain"))
            fake.enqueue(.toolCalls(FakeLLMToolCall(id: "c", name: "get_weather", arguments: "{}")))
            _ = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized,
                body: Self.body(Self.ask, extra: #","tool_choice":"none""#))
            #expect(!Self.offeredNames(fake.chatRequests().first).contains("get_weather"))
            _ = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized,
                body: Self.body(Self.ask, extra: #","tool_choice":{"type":"function","function":{"name":"get_weather"}}"#))
            let choice = fake.chatRequests().last?.json?["tool_choice"]
            #expect(choice?["function"]?["name"]?.stringValue == "get_weather")
        }
    }

    @Test(arguments: [
        (#"[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"nope","content":"r"}]"#, "messages[1].tool_call_id"),
        (#"[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"bad name"}}]"#, "tools[0].function.name"),
        (#"[{"role":"user","content":"x"}],"tools":[{"type":"retrieval"}]"#, "tools[0].type"),
        (#"[{"role":"user","content":"x"}],"tool_choice":{"type":"function","function":{"name":"ghost"}}"#, "tool_choice"),
        (#"[{"role":"user","content":"x"}],"top_p":3"#, "top_p"),
        (#"[{"role":"user","content":"x"}],"stop":[1]"#, "stop[0]"),
    ])
    func badToolRequests_answer400NamingTheField(messages: String, param: String) async throws {
        try await Harness.run { harness, client throws in
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized,
                body: ByteBuffer(string: #"{"model":"tern","messages":\#(messages)}"#))
            #expect(response.status == .badRequest)
            #expect(try errorBody(response.body)["param"] as? String == param)
            #expect(try await harness.count("messages") == 0)
        }
    }
}
