import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TernTesting
import Testing
import TernCore

@Suite(.timeLimit(.minutes(1))) struct AdminToolsAPITests {
    let admin = AdminAPITests()
    let path = "contexts/\(ContextID.defaultContext)/tools"

    func tools(_ client: some TestClientProtocol) async throws -> [String: [String: Any]] {
        let response = try await admin.call(client, .get, path)
        #expect(response.status == .ok)
        let data = try #require(try json(response.body)["data"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: data.map { ($0["name"] as? String ?? "?", $0) })
    }

    @Test func permissions_setListReset_andTheAgentStopsOfferingADeniedTool() async throws {
        try await Harness.run(tools: [try EchoTool("lookup"), try EchoTool("wipe", risk: .dangerous)]) { harness, client throws in
            var listed = try await tools(client)
            #expect(listed["lookup"]?["permission"] as? String == "allow")
            #expect(listed["lookup"]?["source"] as? String == "default")
            #expect(listed["wipe"]?["needs_approval"] as? Bool == true)
            #expect(listed["wipe"]?["risk"] as? String == "dangerous")

            var response = try await admin.call(client, .put, "\(path)/lookup", #"{"permission":"deny"}"#)
            #expect(response.status == .ok)
            #expect(try json(response.body)["source"] as? String == "context")
            listed = try await tools(client)
            #expect(listed["lookup"]?["permission"] as? String == "deny")

            _ = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: .authorized, body: chatBody("hi"))
            let offered = harness.fake?.chatRequests().last?.json?["tools"]?.arrayValue?
                .compactMap { $0["function"]?["name"]?.stringValue }
            #expect(offered == ["wipe", "tern_plan"])

            response = try await admin.call(client, .delete, "\(path)/lookup")
            #expect(response.status == .ok)
            #expect(try json(response.body)["permission"] as? String == "allow")
            response = try await admin.call(client, .delete, "\(path)/lookup")
            #expect(response.status == .notFound)
        }
    }

    @Test func badRequests_nameWhatIsWrong_andStoreNothing() async throws {
        try await Harness.run(tools: [try EchoTool("lookup")]) { harness, client throws in
            var response = try await admin.call(client, .put, "\(path)/nope", #"{"permission":"deny"}"#)
            #expect(response.status == .notFound)
            #expect((try errorBody(response.body)["message"] as? String)?.contains("tool 'nope'") == true)
            response = try await admin.call(client, .put, "\(path)/lookup", #"{"permission":"maybe"}"#)
            #expect(response.status == .badRequest)
            #expect(try errorBody(response.body)["param"] as? String == "permission")
            response = try await admin.call(client, .put, "\(path)/lookup", #"{}"#)
            #expect(response.status == .badRequest)
            response = try await admin.call(client, .put, "contexts/no-such-context/tools/lookup", #"{"permission":"deny"}"#)
            #expect(response.status == .notFound)
            #expect(try await harness.count("tool_permissions") == 0)
        }
    }
}
