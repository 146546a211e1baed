import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TernAgent
import TernStore
import Testing
import TernCore
import TernTesting

/// What owners, members and viewers of a shared context may do, tried through the real router
/// for every tool risk, approvals and the admin API (the table is in docs/security.md and
/// ``MemberRole/allows(_:)``).
@Suite(.timeLimit(.minutes(2))) struct RoleMatrixTests {
    struct Team {
        let context: Context
        /// Unrestricted keys of three non-admin users, by their role in `context`.
        let keys: [MemberRole: String]
    }

    func team(_ harness: Harness) async throws -> Team {
        let context = try await harness.tenants.createContext(name: "team", kind: .shared, owner: .localUser)
        var keys: [MemberRole: String] = [:]
        for role in MemberRole.allCases {
            let (user, _) = try await harness.tenants.provisionUser(
                email: "\(role.rawValue)@example.com", displayName: role.rawValue, role: .user)
            _ = try await harness.tenants.addMember(user.id, to: context.id, role: role)
            keys[role] = try await harness.keys.createKey(for: user.id, context: nil, name: "own").1
        }
        return Team(context: context, keys: keys)
    }

    func headers(_ key: String?) -> HTTPFields {
        IdentityTests.headers(bearer: key, ["X-Tern-Context": "team"])
    }

    /// The tool names a model request offered.
    func offered(_ request: FakeLLMRecordedRequest?) -> [String] {
        (request?.json?["tools"]?.arrayValue ?? []).compactMap { $0["function"]?["name"]?.stringValue }
            .filter { !$0.hasPrefix("tern_") }.sorted()
    }

    @Test func tools_viewerRunsReadToolsOnly_membersAndOwnersRunEveryRisk() async throws {
        let tools = try [
            EchoTool("peek", risk: .read), EchoTool("note", risk: .write), EchoTool("post", risk: .external),
            EchoTool("wipe", risk: .dangerous),
        ]
        try await Harness.run(tools: tools) { harness, client throws in
            let team = try await team(harness)
            // Not dangerous: that one waits for an approval, tried below for the viewer only.
            for role in MemberRole.allCases {
                for tool in tools where tool.spec.risk != .dangerous || role == .viewer {
                    let before = tool.callCount
                    let seen = harness.fake?.chatRequests().count ?? 0
                    harness.fake?.enqueue(
                        .toolCalls(FakeLLMToolCall(id: "c1", name: tool.spec.name, arguments: "{}")), .content("done"))
                    let response = try await client.execute(
                        uri: "/v1/agent", method: .post, headers: headers(team.keys[role]),
                        body: ByteBuffer(string: #"{"input":"go"}"#))
                    #expect(response.status == .ok, "\(role) \(tool.spec.name)")
                    let requests = Array(harness.fake?.chatRequests().dropFirst(seen) ?? [])
                    let allowed = role.allows(.runTool(tool.spec.risk))
                    #expect(tool.callCount == before + (allowed ? 1 : 0), "\(role) ran \(tool.spec.name)?")
                    let expectedOffer = role == .viewer ? ["peek"] : ["note", "peek", "post", "wipe"]
                    #expect(offered(requests.first) == expectedOffer, "\(role) was offered")
                    let toolMessage = requests.last?.messages.last { $0["role"]?.stringValue == "tool" }
                    let output = toolMessage?["content"]?.stringValue ?? ""
                    if allowed {
                        #expect(!output.contains("not allowed"), "\(role) \(tool.spec.name): \(output)")
                    } else {
                        #expect(output.contains("a viewer of this context may run only read tools"), "\(output)")
                    }
                }
            }
            #expect(try await harness.count("approvals") == 0)
        }
    }

    @Test func approvals_viewerCannotDecide_memberCan() async throws {
        let wipe = try EchoTool("wipe", risk: .dangerous, output: "wiped")
        try await Harness.run(tools: [wipe]) { harness, client throws in
            let team = try await team(harness)
            harness.fake?.enqueue(
                .toolCalls(FakeLLMToolCall(id: "c1", name: "wipe", arguments: "{}")), .content("Wiped."))
            let port = client.port
            let ownerKey = try #require(team.keys[.owner])
            let turn = Task { try await agentRequest(port: port, input: "wipe", key: ownerKey, context: "team") }
            let request = try #require(await harness.approvalRequested.first())
            let approve = ByteBuffer(string: #"{"decision":"approve"}"#)

            let listed = try await client.execute(uri: "/v1/approvals", method: .get, headers: headers(team.keys[.viewer]))
            #expect(listed.status == .ok, "a viewer reads pending approvals")
            let refused = try await client.execute(
                uri: "/v1/approvals/\(request.id)", method: .post, headers: headers(team.keys[.viewer]), body: approve)
            #expect(refused.status == .forbidden)
            #expect(try errorBody(refused.body)["code"] as? String == "role_forbids")
            #expect(
                try errorBody(refused.body)["message"] as? String
                    == "a viewer of this context cannot approve or deny; ask a member or owner")
            #expect(try await harness.approvals?.pending(in: team.context.id).map(\.id) == [request.id])

            let approved = try await client.execute(
                uri: "/v1/approvals/\(request.id)", method: .post, headers: headers(team.keys[.member]), body: approve)
            #expect(approved.status == .ok)
            _ = try await turn.value
            #expect(wipe.callCount == 1)
        }
    }

    @Test func adminAPI_ownersManageTheirContextAndItsTools_membersAndViewersCannot_dangerousToolsAreForAdmins()
        async throws
    {
        let tools = try [EchoTool("peek", risk: .read), EchoTool("wipe", risk: .dangerous)]
        try await Harness.run(tools: tools) { harness, client throws in
            let team = try await team(harness)
            let path = "/admin/api/v1/contexts/\(team.context.id)"
            for role in MemberRole.allCases {
                let key = team.keys[role]
                let members = try await client.execute(uri: "\(path)/members", method: .get, headers: headers(key))
                #expect(members.status == (role == .owner ? .ok : .forbidden), "\(role) lists members")
                let listed = try await client.execute(uri: "/admin/api/v1/contexts", method: .get, headers: headers(key))
                let names = (try json(listed.body)["data"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
                #expect(names?.contains("team") == (role == .owner), "\(role) sees team in the list")
                let tool = try await client.execute(
                    uri: "\(path)/tools/peek", method: .put, headers: headers(key),
                    body: ByteBuffer(string: #"{"permission":"deny"}"#))
                #expect(tool.status == (role == .owner ? .ok : .forbidden), "\(role) configures tools")
                let dangerous = try await client.execute(
                    uri: "\(path)/tools/wipe", method: .put, headers: headers(key),
                    body: ByteBuffer(string: #"{"permission":"allow"}"#))
                #expect(dangerous.status == .forbidden, "\(role) sets a dangerous tool's permission")
                let created = try await client.execute(
                    uri: "/admin/api/v1/contexts", method: .post, headers: headers(key),
                    body: ByteBuffer(string: #"{"name":"mine"}"#))
                #expect(created.status == .forbidden, "\(role) creates contexts")
                let diagnostics = try await client.execute(
                    uri: "/admin/api/v1/diagnostics", method: .get, headers: headers(key))
                #expect(diagnostics.status == .forbidden, "\(role) reads diagnostics")
            }
            let renamed = try await client.execute(
                uri: path, method: .patch, headers: headers(team.keys[.owner]),
                body: ByteBuffer(string: #"{"name":"crew"}"#))
            #expect(renamed.status == .ok)
            #expect(try await harness.tenants.context(team.context.id)?.name == "crew")
            for role in [MemberRole.member, .viewer] {
                let refused = try await client.execute(
                    uri: path, method: .patch, headers: IdentityTests.headers(bearer: team.keys[role]),
                    body: ByteBuffer(string: #"{"name":"mine"}"#))
                #expect(refused.status == .forbidden, "\(role) renames")
            }
            #expect(try await harness.tenants.context(team.context.id)?.name == "crew")
        }
    }
}
