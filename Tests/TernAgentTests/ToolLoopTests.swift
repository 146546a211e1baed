import Foundation
import Synchronization
import Testing
import TernAgent
import TernCore
import TernTesting

@Suite(.timeLimit(.minutes(1))) struct ToolLoopTests {
    @Test func singleToolCall_resultGoesBackToTheModel_andIsStoredWithTheAnswer() async throws {
        let add = try TestTool(
            "add",
            schema: .object([
                "type": "object", "required": ["a", "b"],
                "properties": ["a": ["type": "number"], "b": ["type": "number"]],
            ])
        ) { input, _ in
            .text("\((input["a"]?.numberValue ?? 0) + (input["b"]?.numberValue ?? 0))")
        }
        let rig = AgentRig(
            [.calls(("add", #"{"a": 2, "b": 3}"#)), .text("It is 5.")], tools: [add])
        let turn = try await rig.turn("what is 2+3?")
        let events = try await rig.run(turn)

        #expect(events.contains(.routed(.direct)))
        #expect(events.contains(.toolCall(ToolCallEvent(callID: "call_1", tool: "add", arguments: #"{"a": 2, "b": 3}"#))))
        #expect(events.toolResults == [ToolResultEvent(callID: "call_1", tool: "add", output: "5.0", isError: false)])
        #expect(events.content == "It is 5.")
        // The planning tool is offered in the first round only.
        #expect(rig.model.requests.first?.tools.map(\.name) == ["add", "tern_plan"])
        let second = try #require(rig.model.requests.last)
        #expect(second.tools.map(\.name) == ["add"])
        #expect(second.messages.suffix(2).map(\.role) == [.assistant, .tool])
        #expect(second.messages.last?.toolCallID == "call_1")
        #expect(second.messages.last?.content == "5.0")

        let stored = try await rig.stored(turn)
        #expect(stored.map(\.role) == [.user, .assistant])
        let trace = try JSONValue(jsonText: try #require(stored.last?.toolData))
        #expect(trace["route"] == "direct")
        #expect(trace["tool_calls"]?.arrayValue?.first?["output"] == "5.0")
    }

    @Test func invalidArguments_theModelSeesEveryViolation_andTheToolIsNotCalled() async throws {
        let tool = try TestTool(
            "city",
            schema: .object(["type": "object", "required": ["name"], "properties": ["name": ["type": "string"]]]))
        let rig = AgentRig(
            [.calls(("city", #"{"name": 7}"#)), .calls(("city", "not json")), .text("ok")],
            tools: [tool])
        let events = try await rig.run("weather?")
        #expect(tool.calls.count == 0)
        let results = events.toolResults
        #expect(results.count == 2)
        #expect(results.allSatisfy { $0.isError })
        #expect(results[0].output.contains("$.name"))
        #expect(results[0].output.contains("expected string, got number"))
        #expect(results[1].output.contains("not valid JSON"))
    }

    @Test func severalCallsInOneRound_runConcurrently() async throws {
        let (a, b) = try rendezvousTools("a", "b", outputs: ("a done", "b done"))
        let rig = AgentRig([.calls(("a", "{}"), ("b", "{}")), .text("both")], tools: [a, b])
        let events = try await rig.run("go")
        #expect(Set(events.toolResults.map(\.output)) == ["a done", "b done"])
        // Results go back to the model in the order of the calls, whatever order they finished in.
        #expect(rig.model.requests.last?.messages.suffix(2).map(\.content) == ["a done", "b done"])
        #expect(events.content == "both")
    }

    @Test func maxToolTurns_stopsWithAClearMessage() async throws {
        let tool = try TestTool("loop")
        let rig = AgentRig(
            [.calls(("loop", "{}")), .calls(("loop", "{}")), .calls(("loop", "{}"))],
            tools: [tool], settings: AgentSettings(model: "m", maxToolTurns: 2))
        let events = try await rig.run("spin")
        #expect(tool.calls.count == 2)
        #expect(events.content.contains("after 2 rounds of tool calls"))
        guard case .finished(_, "length")? = events.last else {
            Issue.record("expected finish reason length: \(events)")
            return
        }
    }

    @Test func longOutput_isTruncatedToTheBudget_withANote() async throws {
        let tool = try TestTool("big") { _, _ in .text(String(repeating: "x", count: 500)) }
        let rig = AgentRig(
            [.calls(("big", "{}")), .text("done")], tools: [tool],
            settings: AgentSettings(model: "m", toolOutputBudget: 100))
        let result = try #require(try await rig.run("go").toolResults.first)
        #expect(result.truncated)
        #expect(result.output.hasPrefix(String(repeating: "x", count: 100) + "\n[output truncated: 500 characters"))
    }

    @Test func deniedPermission_hidesTheTool_andACallToItIsRefused() async throws {
        let secret = try TestTool("secret")
        let open = try TestTool("open")
        let rig = AgentRig(
            [.calls(("secret", "{}")), .text("fine")], tools: [secret, open])
        try await rig.permissions.setPermission(.deny, for: "secret", in: .defaultContext)
        let events = try await rig.run("go")
        #expect(secret.calls.count == 0)
        #expect(rig.model.requests[0].tools.map(\.name) == ["open", "tern_plan"])
        #expect(events.toolResults.first?.output.contains("no such tool here") == true)
    }

    @Test func membershipRevokedDuringTheTurn_refusesLaterToolCalls() async throws {
        let rigBox = Mutex<AgentRig?>(nil)
        let first = try TestTool("first") { _, _ in
            rigBox.withLock { $0 }?.members.revoke()
            return .text("ran")
        }
        let second = try TestTool("second")
        let rig = AgentRig(
            [.calls(("first", "{}")), .calls(("second", "{}")), .text("end")],
            tools: [first, second])
        rigBox.withLock { $0 = rig }
        let events = try await rig.run("go")
        #expect(first.calls.count == 1)
        #expect(second.calls.count == 0)
        #expect(events.toolResults.last?.output.contains("not a member of this context") == true)
        #expect(rig.members.checks.count == 2)  // cached per epoch: once before, once after the change
    }

    @Test func demotedToViewerDuringTheTurn_refusesLaterWriteCalls_butNotReadCalls() async throws {
        let rigBox = Mutex<AgentRig?>(nil)
        let first = try TestTool("first", risk: .write) { _, _ in
            rigBox.withLock { $0 }?.members.set(.viewer)
            return .text("ran")
        }
        let look = try TestTool("look")
        let write = try TestTool("write", risk: .write)
        let rig = AgentRig(
            [.calls(("first", "{}")), .calls(("look", "{}"), ("write", "{}")), .text("end")],
            tools: [first, look, write])
        rigBox.withLock { $0 = rig }
        let events = try await rig.run("go")
        #expect(first.calls.count == 1)
        #expect(look.calls.count == 1)
        #expect(write.calls.count == 0)
        #expect(
            events.toolResults.first { $0.tool == "write" }?.output.contains(
                "a viewer of this context may run only read tools, and this one's risk is write") == true)
    }

    @Test func viewer_isOfferedReadToolsOnly_andAForcedWriteCallIsRefusedNamingTheRole() async throws {
        let look = try TestTool("look")
        let write = try TestTool("write", risk: .write)
        let rig = AgentRig([.calls(("write", "{}")), .text("end")], tools: [look, write], role: .viewer)
        let events = try await rig.run("go")
        #expect(rig.model.requests[0].tools.map(\.name) == ["look", "tern_plan"])
        #expect(write.calls.count == 0)
        #expect(events.toolResults.first?.output.contains("a viewer of this context may run only read tools") == true)
    }

    @Test func noToolsAndNoSkills_offersNoPlanningTools() async throws {
        let rig = AgentRig([.text("hello")])
        let events = try await rig.run("hi")
        #expect(rig.model.requests.count == 1)
        #expect(rig.model.requests.first?.tools.isEmpty == true)
        #expect(events.content == "hello")
        #expect(!events.contains { if case .routed = $0 { true } else { false } })
    }
}

extension JSONValue {
    var numberValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }
}
