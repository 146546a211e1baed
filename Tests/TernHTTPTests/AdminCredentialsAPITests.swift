import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TernCore
import TernStore

/// `/admin/api/v1/contexts/{id}/credentials…` as `tern serve` wires it: values go in and never
/// come out, only admins and the context's owners reach them, bad input names what was wrong.
@Suite(.timeLimit(.minutes(1))) struct AdminCredentialsAPITests {
    let admin = AdminAPITests()
    static let secret = "ghp_do-not-show-this-value"
    let path = "contexts/\(ContextID.defaultContext)/credentials"

    @Test func put_createsThenReplaces_listShowsNamesOnly_deleteRemoves() async throws {
        try await Harness.run(llm: false) { harness, client in
            let created = try await admin.call(client, .put, "\(path)/GITHUB_TOKEN", #"{"value": "\#(Self.secret)"}"#)
            #expect(created.status == .created)
            let replaced = try await admin.call(client, .put, "\(path)/GITHUB_TOKEN", #"{"value": "\#(Self.secret)-2"}"#)
            #expect(replaced.status == .ok)
            let listed = try await admin.call(client, .get, path)
            #expect(listed.status == .ok)
            for response in [created, replaced, listed] { #expect(!String(buffer: response.body).contains("do-not-show")) }
            let data = try #require(try json(listed.body)["data"] as? [[String: Any]])
            #expect(data.map { $0["name"] as? String } == ["GITHUB_TOKEN"])
            #expect(data.first?["value"] == nil)
            #expect(data.first?["created_by"] as? String == UserID.localUser.rawValue)
            #expect(try await admin.call(client, .delete, "\(path)/GITHUB_TOKEN").status == .noContent)
            let again = try await admin.call(client, .delete, "\(path)/GITHUB_TOKEN")
            #expect(again.status == .notFound)
            #expect(try errorBody(again.body)["message"] as? String == "not found: credential 'GITHUB_TOKEN'")
            #expect(try await harness.count("credentials") == 0)
        }
    }

    @Test func badInput_isA400NamingTheField_andStoresNothing() async throws {
        try await Harness.run(llm: false) { harness, client in
            let cases: [(String, String?, String)] = [
                ("\(path)/has%20space", #"{"value": "x"}"#, "a credential name may contain only"),
                ("\(path)/TOKEN", #"{}"#, "'value' is required"),
                ("\(path)/TOKEN", #"{"value": ""}"#, "the value of credential 'TOKEN' is empty"),
                ("\(path)/TOKEN", #"{"value": "x", "secret": true}"#, "secret"),
                ("\(path)/TOKEN", #"{"value": 42}"#, "'value' must be a string, got number"),
            ]
            for (uri, body, message) in cases {
                let response = try await admin.call(client, .put, uri, body)
                #expect(response.status == .badRequest, "\(uri) \(body ?? "")")
                let text = try errorBody(response.body)["message"] as? String ?? ""
                #expect(text.contains(message), "\(text)")
            }
            let unknown = try await admin.call(client, .put, "contexts/no-such-context/credentials/TOKEN", #"{"value": "x"}"#)
            #expect(unknown.status == .notFound)
            #expect(try await harness.count("credentials") == 0)
        }
    }

    @Test func ownersManageTheirContext_membersAndOtherOwnersAreRefused() async throws {
        try await Harness.run(llm: false) { harness, client in
            let team = try await harness.tenants.createContext(name: "team", kind: .shared, owner: nil)
            let other = try await harness.tenants.createContext(name: "other", kind: .shared, owner: nil)
            var keys: [MemberRole: String] = [:]
            for role in MemberRole.allCases {
                let (user, _) = try await harness.tenants.provisionUser(
                    email: "\(role.rawValue)@example.com", displayName: role.rawValue, role: .user)
                _ = try await harness.tenants.addMember(user.id, to: team.id, role: role)
                keys[role] = try await harness.keys.createKey(for: user.id, context: nil, name: "own").1
            }
            let teamPath = "contexts/\(team.id)/credentials"
            let owned = try await admin.call(client, .put, "\(teamPath)/TOKEN", #"{"value": "v"}"#, bearer: keys[.owner]!)
            #expect(owned.status == .created)
            for role in [MemberRole.member, .viewer] {
                let refused = try await admin.call(client, .get, teamPath, bearer: keys[role]!)
                #expect(refused.status == .forbidden, "\(role)")
            }
            let elsewhere = try await admin.call(
                client, .put, "contexts/\(other.id)/credentials/TOKEN", #"{"value": "v"}"#, bearer: keys[.owner]!)
            #expect(elsewhere.status == .forbidden)
            #expect(try await harness.count("credentials") == 1)
        }
    }
}
