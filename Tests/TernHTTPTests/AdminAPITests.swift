import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TernStore
import Testing
import TernCore

@Suite(.timeLimit(.minutes(1))) struct AdminAPITests {
    func call(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, _ body: String? = nil,
        bearer: String = Harness.apiKey
    ) async throws -> TestResponse {
        try await client.execute(
            uri: "/admin/api/v1/\(path)", method: method, headers: IdentityTests.headers(bearer: bearer),
            body: body.map { ByteBuffer(string: $0) })
    }

    @Test func contexts_createRenameListDelete_withClearErrors() async throws {
        try await Harness.run { harness, client throws in
            var response = try await call(client, .post, "contexts", #"{"name":"team","kind":"shared"}"#)
            #expect(response.status == .created)
            let id = try #require(try json(response.body)["id"] as? String)

            response = try await call(client, .post, "contexts", #"{"name":"team"}"#)
            #expect(response.status == .conflict)
            #expect(try errorBody(response.body)["message"] as? String == "a context named 'team' already exists")
            response = try await call(client, .post, "contexts", #"{"name":"Not OK"}"#)
            #expect(response.status == .badRequest)
            #expect(try errorBody(response.body)["param"] as? String == "name")
            response = try await call(client, .post, "contexts", #"{"kind":"shared"}"#)
            #expect(try errorBody(response.body)["message"] as? String == "'name' is required")
            response = try await call(client, .post, "contexts", #"{"name":"x","kind":"public"}"#)
            #expect(try errorBody(response.body)["param"] as? String == "kind")
            response = try await call(client, .post, "contexts", #"{"name":"y","owner_id":"ghost"}"#)
            #expect(response.status == .notFound)
            #expect(try await harness.tenants.context(named: "y") == nil)

            response = try await call(client, .patch, "contexts/\(id)", #"{"name":"crew"}"#)
            #expect(response.status == .ok)
            #expect(try json(response.body)["name"] as? String == "crew")
            response = try await call(client, .patch, "contexts/\(id)", #"{"name":"default"}"#)
            #expect(response.status == .conflict)
            response = try await call(client, .patch, "contexts/nope", #"{"name":"z"}"#)
            #expect(response.status == .notFound)

            response = try await call(client, .get, "contexts")
            let listed = try json(response.body)["data"] as? [[String: Any]] ?? []
            #expect(listed.map { $0["name"] as? String } == ["crew", "default"])
            #expect(listed.first?["member_count"] as? Int == 1)

            response = try await call(client, .delete, "contexts/\(ContextID.defaultContext)")
            #expect(response.status == .conflict)
            response = try await call(client, .delete, "contexts/\(id)")
            #expect(response.status == .noContent)
            response = try await call(client, .delete, "contexts/\(id)")
            #expect(response.status == .notFound)
        }
    }

    @Test func usersMembersAndKeys() async throws {
        try await Harness.run { harness, client throws in
            var response = try await call(client, .post, "users", #"{"email":"Dee@Example.com","display_name":"Dee"}"#)
            #expect(response.status == .created)
            let user = try #require((try json(response.body)["user"] as? [String: Any])?["id"] as? String)
            response = try await call(client, .post, "users", #"{"email":"dee@example.com"}"#)
            #expect(response.status == .conflict)
            response = try await call(client, .post, "users", #"{"email":"not-an-email"}"#)
            #expect(response.status == .badRequest)
            response = try await call(client, .patch, "users/\(user)", #"{"role":"root"}"#)
            #expect(try errorBody(response.body)["param"] as? String == "role")

            let team = try await harness.tenants.createContext(name: "team", kind: .shared, owner: nil)
            response = try await call(client, .post, "contexts/\(team.id)/members", #"{"user_id":"\#(user)","role":"viewer"}"#)
            #expect(response.status == .created)
            #expect(try json(response.body)["role"] as? String == "viewer")
            response = try await call(client, .post, "contexts/\(team.id)/members", #"{"user_id":"ghost"}"#)
            #expect(response.status == .notFound)
            response = try await call(client, .get, "contexts/\(team.id)/members")
            #expect((try json(response.body)["data"] as? [Any])?.count == 1)

            response = try await call(client, .post, "keys", #"{"name":"dee's laptop","user_id":"\#(user)"}"#)
            #expect(response.status == .created)
            let created = try json(response.body)
            let secret = try #require(created["secret"] as? String)
            let keyID = try #require(created["id"] as? String)
            let models = try await client.execute(uri: "/v1/models", method: .get, headers: IdentityTests.headers(bearer: secret))
            #expect(models.status == .ok)
            response = try await call(client, .get, "keys?user_id=\(user)")
            let keys = try json(response.body)["data"] as? [[String: Any]] ?? []
            #expect(keys.count == 1)
            #expect(keys.first?["secret"] == nil)
            response = try await call(client, .delete, "keys/\(keyID)")
            #expect(response.status == .ok)
            let refused = try await client.execute(uri: "/v1/models", method: .get, headers: IdentityTests.headers(bearer: secret))
            #expect(refused.status == .unauthorized)

            response = try await call(client, .delete, "contexts/\(team.id)/members/\(user)")
            #expect(response.status == .noContent)
            response = try await call(client, .delete, "contexts/\(team.id)/members/\(user)")
            #expect(response.status == .notFound)
        }
    }

    @Test func badBodies_areNamed() async throws {
        try await Harness.run { _, client throws in
            for body in ["", "{nope", "[1]"] {
                let response = try await call(client, .post, "contexts", body)
                #expect(response.status == .badRequest)
                #expect(try errorBody(response.body)["message"] is String)
            }
        }
    }

    @Test func invalidEmail_isA400NamingEmail_andStoresNothing() async throws {
        try await Harness.run { harness, client throws in
            let users = try await harness.count("users")
            let response = try await call(client, .post, "users", #"{"email":"not an address"}"#)
            #expect(response.status == .badRequest)
            let error = try errorBody(response.body)
            #expect(error["param"] as? String == "email")
            #expect(error["message"] as? String == "email 'not an address' is not an email address")
            #expect(try await harness.count("users") == users)
            #expect(try await harness.count("contexts") == 1)
        }
    }

    @Test func deleteUser_removesTheUserAndTheirKeys_butNeverTheLastAdminOrLocal() async throws {
        try await Harness.run { harness, client throws in
            let (bob, _) = try await harness.tenants.provisionUser(email: "bob@example.com", displayName: "Bob", role: .user)
            let (_, secret) = try await harness.keys.createKey(for: bob.id, context: nil, name: "bob")
            let before = try await client.execute(uri: "/v1/models", method: .get, headers: IdentityTests.headers(bearer: secret))
            #expect(before.status == .ok)

            let deleted = try await call(client, .delete, "users/\(bob.id)")
            #expect(deleted.status == .noContent)
            #expect(try await harness.tenants.user(bob.id) == nil)
            let after = try await client.execute(uri: "/v1/models", method: .get, headers: IdentityTests.headers(bearer: secret))
            #expect(after.status == .unauthorized)

            let unknown = try await call(client, .delete, "users/\(bob.id)")
            #expect(unknown.status == .notFound)
            let local = try await call(client, .delete, "users/\(UserID.localUser)")
            #expect(local.status == .badRequest)
            #expect(try await harness.tenants.user(.localUser) != nil)

            // The last admin stays, even asking to delete themselves.
            let (alice, _) = try await harness.tenants.provisionUser(
                email: "alice@example.com", displayName: "Alice", role: .admin)
            _ = try await harness.tenants.setRole(.user, of: .localUser)
            let (_, aliceKey) = try await harness.keys.createKey(for: alice.id, context: nil, name: "alice")
            let last = try await call(client, .delete, "users/\(alice.id)", bearer: aliceKey)
            #expect(last.status == .conflict)
            #expect(try await harness.tenants.user(alice.id) != nil)
        }
    }
}
