import Foundation
import Synchronization
import Testing
import TernAgent
import TernCore
import TernTesting

@Suite(.timeLimit(.minutes(1))) struct PlanRunTests {
    @Test func independentSteps_runConcurrently_thenTheAnswerComposesTheirOutputs() async throws {
        let (a, b) = try rendezvousTools("side_a", "side_b", outputs: ("A", "B"))
        let rig = AgentRig(
            [
                planReply(
                    #"[{"id":"a","kind":"tool","tool":"side_a"},{"id":"b","kind":"tool","tool":"side_b"},{"id":"done","kind":"answer"}]"#),
                .text("A and B"),
            ], tools: [a, b])
        let turn = try await rig.turn("do both")
        let events = try await rig.run(turn)

        #expect(events.contains(.routed(.plan)))
        #expect(events.content == "A and B")
        let finished = events.stepsFinished
        #expect(Set(finished.prefix(2).map(\.stepID)) == ["a", "b"])
        #expect(finished.last?.stepID == "done")
        let answerPrompt = try #require(rig.model.requests.last?.messages.last?.content)
        #expect(answerPrompt.contains("[a: tool side_a]\nA"))
        #expect(answerPrompt.contains("[b: tool side_b]\nB"))
        let stored = try #require(try await rig.stored(turn).last)
        let trace = try JSONValue(jsonText: try #require(stored.toolData))
        #expect(trace["route"] == "plan")
        #expect(trace["plans"]?.arrayValue?.count == 1)
        #expect(trace["steps"]?.arrayValue?.count == 3)
    }

    @Test func dependentStep_startsAfterItsDependency_andSeesItsOutput() async throws {
        let order = Mutex<[String]>([])
        let fetch = try TestTool("fetch") { _, _ in
            order.withLock { $0.append("fetch") }
            return .text("page text")
        }
        let summarize = try TestTool(
            "summarize", schema: ["type": "object", "properties": ["text": ["type": "string"]]]
        ) { input, _ in
            order.withLock { $0.append("summarize") }
            return .text("summary of \(input["text"]?.stringValue ?? "?")")
        }
        let rig = AgentRig(
            [
                planReply(
                    #"[{"id":"s","kind":"tool","tool":"summarize","args":{"text":"{{f}}"},"depends_on":["f"]},{"id":"f","kind":"tool","tool":"fetch"},{"id":"out","kind":"answer"}]"#
                ),
                .text("done"),
            ], tools: [fetch, summarize])
        let events = try await rig.run("summarize the page")
        #expect(order.withLock { $0 } == ["fetch", "summarize"])
        #expect(events.stepsFinished.first { $0.stepID == "s" }?.output == "summary of page text")
    }

    @Test func failingStep_isRetriedOnce_thenSucceeds() async throws {
        let flaky = try TestTool("flaky") { _, call in
            call == 1 ? .error("temporary failure") : .text("worked")
        }
        let rig = AgentRig(
            [planReply(#"[{"id":"x","kind":"tool","tool":"flaky"},{"id":"a","kind":"answer"}]"#), .text("ok")],
            tools: [flaky])
        let events = try await rig.run("try")
        #expect(flaky.calls.count == 2)
        let attempts = events.stepsFinished.filter { $0.stepID == "x" }
        #expect(attempts.map(\.attempt) == [1, 2])
        #expect(attempts[0].error?.contains("temporary failure") == true)
        #expect(attempts[1].output == "worked")
        #expect(events.notices.isEmpty)
    }

    @Test func stepFailingTwice_isReplanned_withTheFailureAsContext() async throws {
        let broken = try TestTool("broken") { _, _ in .error("service down") }
        let good = try TestTool("good") { _, _ in .text("fine") }
        let rig = AgentRig(
            [
                planReply(#"[{"id":"x","kind":"tool","tool":"broken"},{"id":"a","kind":"answer"}]"#),
                .text(#"{"goal":"second try","steps":[{"id":"y","kind":"tool","tool":"good"},{"id":"a","kind":"answer"}]}"#),
                .text("recovered"),
            ], tools: [broken, good])
        let events = try await rig.run("do it")
        #expect(broken.calls.count == 2)
        #expect(good.calls.count == 1)
        #expect(events.content == "recovered")
        #expect(events.notices.count == 1)
        #expect(events.notices.first?.contains("step \"x\" (tool broken) failed") == true)
        let replanPrompt = try #require(rig.model.requests[1].messages.last?.content)
        #expect(replanPrompt.contains("service down"))
        #expect(events.filter { if case .plan = $0 { true } else { false } }.count == 2)
    }

    @Test func replan_reusesStepsThatCompletedUnchanged() async throws {
        let fetch = try TestTool("fetch") { _, _ in .text("data") }
        let broken = try TestTool("broken") { _, _ in .error("nope") }
        let good = try TestTool("good") { _, _ in .text("fine") }
        let rig = AgentRig(
            [
                planReply(
                    #"[{"id":"f","kind":"tool","tool":"fetch"},{"id":"x","kind":"tool","tool":"broken","depends_on":["f"]},{"id":"a","kind":"answer"}]"#
                ),
                .text(
                    #"{"goal":"g","steps":[{"id":"f","kind":"tool","tool":"fetch"},{"id":"y","kind":"tool","tool":"good","depends_on":["f"]},{"id":"a","kind":"answer"}]}"#
                ),
                .text("ok"),
            ], tools: [fetch, broken, good])
        _ = try await rig.run("go")
        #expect(fetch.calls.count == 1)
        #expect(good.calls.count == 1)
    }

    @Test func replansExhausted_endTheTurnWithAClearError() async throws {
        let broken = try TestTool("broken") { _, _ in .error("service down") }
        let plan = #"{"goal":"g","steps":[{"id":"x","kind":"tool","tool":"broken"},{"id":"a","kind":"answer"}]}"#
        let rig = AgentRig(
            [.calls(("tern_plan", plan)), .text(plan), .text("no plan here, sorry")],
            tools: [broken], settings: AgentSettings(model: "m", maxReplans: 2))
        let turn = try await rig.turn("do it")
        await #expect(throws: AgentError.self) { _ = try await rig.run(turn) }
        #expect(broken.calls.count == 4)  // two attempts in each of the two plans that ran
        // What the agent did is kept with the conversation, marked incomplete.
        let stored = try await rig.stored(turn)
        #expect(stored.map(\.role) == [.user, .assistant])
        #expect(stored.last?.status == .incomplete)
        let trace = try JSONValue(jsonText: try #require(stored.last?.toolData))
        #expect(trace["plans"]?.arrayValue?.count == 2)
        #expect(trace["notices"]?.arrayValue?.count == 2)
    }

    @Test func replanError_namesTheStepAndTheReplans() async throws {
        let broken = try TestTool("broken") { _, _ in .error("service down") }
        let rig = AgentRig(
            [planReply(#"[{"id":"x","kind":"tool","tool":"broken"},{"id":"a","kind":"answer"}]"#)],
            tools: [broken], settings: AgentSettings(model: "m", maxReplans: 0))
        do {
            _ = try await rig.run("do it")
            Issue.record("expected an error")
        } catch let error as AgentError {
            let message = "\(error)"
            #expect(message.contains("step \"x\" after a retry and 0 re-plans"))
            #expect(message.contains("service down"))
        }
    }

    @Test func unusablePlan_fallsBackToADirectAnswer_andSaysWhy() async throws {
        let tool = try TestTool("t")
        let rig = AgentRig(
            [planReply(#"[{"id":"x","kind":"tool","tool":"missing"},{"id":"a","kind":"answer"}]"#), .text("direct")],
            tools: [tool])
        let events = try await rig.run("hm")
        let fallback = events.compactMap { if case .routed(.fallback(let reason)) = $0 { reason } else { nil } }
        #expect(fallback.count == 1)
        #expect(fallback.first?.contains("\"missing\"") == true)
        #expect(events.content == "direct")
    }

    @Test func cancellingTheTurn_stopsRunningStepsPromptly() async throws {
        let started = OneShotSignal()
        let sawCancel = OneShotSignal()
        let hang = try TestTool("hang") { _, _ in
            started.fire()
            await withTaskCancellationHandler {
                await OneShotSignal().wait()  // only cancellation ends this
            } onCancel: {
                sawCancel.fire()
            }
            throw CancellationError()
        }
        let rig = AgentRig(
            [planReply(#"[{"id":"h","kind":"tool","tool":"hang"},{"id":"a","kind":"answer"}]"#)], tools: [hang])
        let turn = try await rig.turn("wait")
        let consumer = Task { _ = try await rig.run(turn) }
        await started.wait()
        consumer.cancel()
        await sawCancel.wait()
        #expect(hang.calls.count == 1)
        _ = await consumer.result
    }
}

@Suite(.timeLimit(.minutes(1))) struct PlanLimitTests {
    @Test func concurrencyLimit_isHonoured() async throws {
        // Each tool waits for a partner: with the limit at 2 the steps run in pairs (a limit of
        // 1 would hang until the time limit); a limit that were ignored lets more overlap.
        let running = Mutex((now: 0, most: 0))
        let pairs = PairGate()
        let body: @Sendable (JSONValue, Int) async throws -> ToolOutput = { _, _ in
            running.withLock {
                $0.now += 1
                $0.most = max($0.most, $0.now)
            }
            await pairs.arrive()
            running.withLock { $0.now -= 1 }
            return .text("ok")
        }
        let tools = try (1...4).map { try TestTool("t\($0)", body: body) }
        let steps = (1...4).map { #"{"id":"s\#($0)","kind":"tool","tool":"t\#($0)"}"# }.joined(separator: ",")
        let rig = AgentRig(
            [planReply("[\(steps),{\"id\":\"a\",\"kind\":\"answer\"}]"), .text("done")], tools: tools,
            settings: AgentSettings(model: "m", maxParallelSteps: 2))
        _ = try await rig.run("go")
        #expect(tools.allSatisfy { $0.calls.count == 1 })
        #expect(running.withLock { $0.most } == 2)
    }

    @Test func replanBackoff_doublesUpToTheCap() {
        let settings = AgentSettings(model: "m", replanBackoff: .milliseconds(500), replanBackoffCap: .seconds(3))
        #expect((1...4).map(settings.backoff(beforeReplan:)) == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(3)])
    }
}
