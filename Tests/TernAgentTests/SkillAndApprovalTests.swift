import Foundation
import Testing
import TernAgent
import TernCore
import TernTesting

@Suite(.timeLimit(.minutes(1))) struct SkillRunTests {
    let skill = Skill(
        name: "timekeeper", description: "tells the time", allowedTools: ["clock"], model: "small-model",
        maxTurns: 3, instructions: "You keep time.", source: "skills/timekeeper/SKILL.md")

    @Test func slashCommand_runsTheSkill_offeringOnlyItsCeiling() async throws {
        let clock = try TestTool("clock") { _, _ in .text("12:00") }
        let shell = try TestTool("shell")
        let rig = AgentRig([.calls(("clock", "{}")), .text("It is noon.")], tools: [clock, shell], skills: [skill])
        let events = try await rig.run("/timekeeper what time is it?")
        #expect(events.contains(.routed(.skill("timekeeper"))))
        #expect(events.content == "It is noon.")
        let first = try #require(rig.model.requests.first)
        #expect(first.model == "small-model")
        #expect(first.tools.map(\.name) == ["clock"])
        #expect(first.messages.first?.content == "You keep time.")
        #expect(first.messages.last?.content == "what time is it?")
        // A one-tool skill names its tool for the first call (servers such as llama-cpp-python
        // offer no tools otherwise), then leaves the choice to the model.
        #expect(first.toolChoice == .function("clock"))
        #expect(rig.model.requests.dropFirst().allSatisfy { $0.toolChoice == nil })
    }

    @Test func forgedCallOutsideTheCeiling_isRefused_andTheToolNeverRuns() async throws {
        let clock = try TestTool("clock")
        let shell = try TestTool("shell")
        let rig = AgentRig([.calls(("shell", #"{"cmd":"rm -rf /"}"#)), .text("ok")], tools: [clock, shell], skills: [skill])
        let events = try await rig.run("/timekeeper please")
        #expect(shell.calls.count == 0)
        let refused = try #require(events.toolResults.first)
        #expect(refused.isError)
        #expect(refused.output == #"tool "shell": not allowed: skill "timekeeper" may not use it"#)
    }

    @Test func routerChoosesASkill() async throws {
        let clock = try TestTool("clock")
        let rig = AgentRig(
            [.calls(("tern_skill", #"```json {"skill":"timekeeper","input":"time in Paris"} ```"#)), .text("noon")],
            tools: [clock], skills: [skill])
        let events = try await rig.run("what time is it in Paris")
        #expect(events.contains(.routed(.skill("timekeeper"))))
        #expect(rig.model.requests[1].messages.last?.content == "time in Paris")
    }

    @Test func routerNamingAnUnknownSkill_fallsBack() async throws {
        let rig = AgentRig(
            [.calls(("tern_skill", #"{"skill":"ghost"}"#)), .text("direct")], tools: [try TestTool("clock")],
            skills: [skill])
        let events = try await rig.run("hm")
        #expect(events.contains(.routed(.fallback(reason: #"tern_skill names unknown skill "ghost""#))))
        // The fallback answer is asked for without the planning tools.
        #expect(rig.model.requests[1].tools.map(\.name) == ["clock"])
        #expect(events.content == "direct")
    }

    @Test(arguments: [
        ("/approve abc", ChatCommandExpectation.approve("abc", nil)),
        ("/deny abc too risky", .deny("abc", "too risky")),
        ("  /timekeeper now ", .skill("timekeeper", "now")),
        ("/etc/passwd is a file", .none),
        ("hello", .none),
    ])
    func chatCommands_areRecognised(input: String, expected: ChatCommandExpectation) async throws {
        // Commands are observable through the agent: approvals reply without a model call.
        let rig = AgentRig([.text("model answer")], tools: [try TestTool("clock")], skills: [skill])
        switch expected {
        case .approve(let id, _), .deny(let id, _):
            let events = try await rig.run(input)
            #expect(events.content == "There is no approval `\(id)` in this context.")
            #expect(rig.model.requests.isEmpty)
        case .skill:
            _ = try await rig.run(input)
            #expect(rig.model.requests.first?.messages.first?.content == "You keep time.")
        case .none:
            #expect(try await rig.run(input).content == "model answer")
            #expect(rig.model.requests.first?.messages.first?.content != "You keep time.")
        }
    }

    @Test func approveWithoutAnID_isAClearError() async throws {
        let rig = AgentRig([], tools: [try TestTool("clock")])
        await #expect(throws: AgentError.badCommand("usage: /approve <approval id> [reason]")) {
            _ = try await rig.run("/approve")
        }
    }
}

enum ChatCommandExpectation: Sendable, CustomTestStringConvertible {
    case approve(String, String?)
    case deny(String, String?)
    case skill(String, String)
    case none
    var testDescription: String { "\(self)" }
}

@Suite(.timeLimit(.minutes(1))) struct ApprovalTests {
    func rig(_ tool: TestTool, timeout: Duration = .seconds(30)) -> AgentRig {
        AgentRig(
            [.calls(("wipe", #"{"path":"/tmp/x"}"#)), .text("finished")], tools: [tool],
            settings: AgentSettings(model: "m", approvalTimeout: timeout))
    }

    @Test func approved_theToolRuns() async throws {
        let wipe = try TestTool("wipe", risk: .dangerous) { _, _ in .text("wiped") }
        let rig = rig(wipe)
        let approvals = try #require(rig.agent.approvals)
        let events = try await rig.run(try await rig.turn("wipe it")) { event in
            if case .approvalRequired(let request) = event {
                #expect(request.tool == "wipe")
                #expect(request.arguments == #"{"path":"/tmp/x"}"#)
                _ = try await approvals.decide(request.id, approve: true, by: .localUser, in: .defaultContext)
            }
        }
        #expect(wipe.calls.count == 1)
        #expect(events.toolResults.first?.output == "wiped")
        let decided = events.compactMap { if case .approvalDecided(let a) = $0 { a } else { nil } }
        #expect(decided.map(\.status) == [.approved])
        #expect(decided.first?.decidedBy == .localUser)
        #expect(rig.approvalStore.all.map(\.status) == [.approved])
    }

    @Test func denied_theToolDoesNotRun_andTheModelIsTold() async throws {
        let wipe = try TestTool("wipe", risk: .dangerous)
        let rig = rig(wipe)
        let approvals = try #require(rig.agent.approvals)
        let events = try await rig.run(try await rig.turn("wipe it")) { event in
            if case .approvalRequired(let request) = event {
                _ = try await approvals.decide(
                    request.id, approve: false, by: .localUser, in: .defaultContext, reason: "not today")
            }
        }
        #expect(wipe.calls.count == 0)
        let result = try #require(events.toolResults.first)
        #expect(result.isError)
        #expect(result.output.contains("denied: not today"))
    }

    @Test func deciding_fromAnotherContext_isNotFound_andTheRequestStaysPending() async throws {
        let store = MemoryApprovalStore()
        let center = ApprovalCenter(store: store)
        let request = try await store.create(
            NewApproval(
                contextID: .defaultContext, conversationID: nil, requestedBy: .localUser, instanceID: center.instance,
                tool: "wipe", arguments: "{}", expiresAt: Date().addingTimeInterval(60)))
        await #expect(throws: StoreError.self) {
            _ = try await center.decide(request.id, approve: true, by: "intruder", in: "other-context")
        }
        #expect(store.all.map(\.status) == [.pending])
    }

    @Test func timedOut_deniesAndSaysSo() async throws {
        let wipe = try TestTool("wipe", risk: .dangerous)
        let rig = rig(wipe, timeout: .milliseconds(30))
        let events = try await rig.run("wipe it")
        #expect(wipe.calls.count == 0)
        let stored = try #require(rig.approvalStore.all.first)
        #expect(stored.status == .expired)
        #expect(stored.reason == "nobody decided within 30ms")
        #expect(events.toolResults.first?.output.contains("expired: nobody decided within 30ms") == true)
    }

    @Test func configuredTool_needsApproval_evenWhenNotDangerous() async throws {
        let send = try TestTool("wipe", risk: .external)
        let rig = AgentRig(
            [.calls(("wipe", "{}")), .text("done")], tools: [send],
            settings: AgentSettings(model: "m", approvalTimeout: .milliseconds(10), approvalRequired: ["wipe"]))
        let events = try await rig.run("go")
        #expect(send.calls.count == 0)
        #expect(events.contains { if case .approvalRequired = $0 { true } else { false } })
    }

    @Test func requestOfAGoneInstance_isExpired_andDecidingItSaysTheTurnIsGone() async throws {
        let instances = MemoryInstanceStore()
        let store = MemoryApprovalStore(instances: instances)
        let liveness = InstanceLiveness(interval: .seconds(1), misses: 3)
        let dead = ApprovalCenter(store: store, instance: "dead", liveness: liveness)
        let alive = ApprovalCenter(store: store, instance: "alive", liveness: liveness)
        let orphan = try await store.create(
            NewApproval(
                contextID: .defaultContext, conversationID: nil, requestedBy: .localUser, instanceID: dead.instance,
                tool: "wipe", arguments: "{}", expiresAt: Date().addingTimeInterval(600)))
        let waiting = try await store.create(
            NewApproval(
                contextID: .defaultContext, conversationID: nil, requestedBy: .localUser, instanceID: dead.instance,
                tool: "wipe", arguments: "{}", expiresAt: Date().addingTimeInterval(600)))
        // Seen recently: its requests stay pending.
        try await instances.beat(dead.instance, at: Date())
        #expect(try await alive.pending(in: .defaultContext).map(\.id) == [orphan.id, waiting.id])
        // Its last beat is older than three intervals: gone.
        try await instances.beat(dead.instance, at: Date().addingTimeInterval(-10))
        await #expect(
            throws: StoreError.conflict("approval \(orphan.id) cannot be decided: \(ApprovalCenter.orphanReason)")
        ) {
            _ = try await alive.decide(orphan.id, approve: true, by: .localUser, in: .defaultContext)
        }
        let after = try #require(try await store.approval(orphan.id, in: .defaultContext))
        #expect(after.status == .expired && after.reason == ApprovalCenter.orphanReason && after.decidedBy == nil)
        #expect(try await alive.pending(in: .defaultContext).isEmpty)
    }

    @Test func atStartOnOneProcessDatabase_everyOtherInstancesRequestIsExpired() async throws {
        let store = MemoryApprovalStore()
        let center = ApprovalCenter(store: store, instance: "me")
        let before = try await store.create(
            NewApproval(
                contextID: .defaultContext, conversationID: nil, requestedBy: .localUser, instanceID: "previous",
                tool: "wipe", arguments: "{}", expiresAt: Date().addingTimeInterval(600)))
        #expect(try await center.expireOrphans(othersGone: true) == 1)
        #expect(try await store.approval(before.id, in: .defaultContext)?.status == .expired)
    }

    @Test func cancelledWhileWaiting_expiresTheRequest() async throws {
        let wipe = try TestTool("wipe", risk: .dangerous)
        let rig = rig(wipe)
        let turn = try await rig.turn("wipe it")
        let asked = OneShotSignal()
        let consumer = Task {
            _ = try await rig.run(turn) { event in if case .approvalRequired = event { asked.fire() } }
        }
        await asked.wait()
        consumer.cancel()
        _ = await consumer.result
        // The turn expires the request before it stores what it did; wait for that message.
        let stored = await rig.store.next { $0.role == .assistant }
        #expect(stored?.status == .incomplete)
        #expect(wipe.calls.count == 0)
        #expect(rig.approvalStore.all.map(\.status) == [.expired])
        #expect(rig.approvalStore.all.first?.reason == "the turn ended while waiting for a decision")
    }
}
