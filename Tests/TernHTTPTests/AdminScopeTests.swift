import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TernStore
import Testing
import TernCore
import TernHTTP

/// A context-limited key reaches its context only, through every admin endpoint.
@Suite(.timeLimit(.minutes(1))) struct AdminScopeTests {
    struct World {
        let team: Context
        let other: Context
        let bob: User
        let carol: User
        /// The local admin's key limited to `team`.
        let limited: String
    }

    func call(
        _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, _ body: String? = nil,
        bearer: String
    ) async throws -> TestResponse {
        try await client.execute(
            uri: "/admin/api/v1/\(path)", method: method, headers: IdentityTests.headers(bearer: bearer),
            body: body.map { ByteBuffer(string: $0) })
    }

    func world(_ harness: Harness) async throws -> World {
        let team = try await harness.tenants.createContext(name: "team", kind: .shared, owner: .localUser)
        let other = try await harness.tenants.createContext(name: "other", kind: .shared, owner: .localUser)
        let (bob, _) = try await harness.tenants.provisionUser(email: "bob@example.com", displayName: "Bob", role: .user)
        let (carol, _) = try await harness.tenants.provisionUser(email: "carol@example.com", displayName: "Carol", role: .user)
        _ = try await harness.tenants.addMember(bob.id, to: team.id, role: .member)
        let (_, limited) = try await harness.keys.createKey(for: .localUser, context: team.id, name: "team only")
        return World(team: team, other: other, bob: bob, carol: carol, limited: limited)
    }

    func expectRefused(_ response: TestResponse, _ message: String, sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        #expect(response.status == .forbidden, sourceLocation: sourceLocation)
        #expect(try errorBody(response.body)["message"] as? String == message, sourceLocation: sourceLocation)
    }

    @Test func limitedAdminKey_reachesItsContextOnly() async throws {
        try await Harness.run { harness, client throws in
            let w = try await world(harness)
            let outside = "this API key is limited to context \(w.team.id) and cannot reach context \(w.other.id)"
            let counts = { [harness] in
                (
                    try await harness.count("users"), try await harness.count("contexts"), try await harness.count("api_keys"),
                    try await harness.count("context_members")
                )
            }
            let before = try await counts()

            var response = try await call(client, .get, "contexts", bearer: w.limited)
            #expect((try json(response.body)["data"] as? [[String: Any]])?.map { $0["name"] as? String } == ["team"])
            response = try await call(client, .get, "users", bearer: w.limited)
            let emails = (try json(response.body)["data"] as? [[String: Any]])?.compactMap { $0["email"] as? String }
            #expect(emails == ["bob@example.com"])
            response = try await call(client, .get, "contexts/\(w.team.id)/members", bearer: w.limited)
            #expect(response.status == .ok)

            for (method, path, body) in [
                (HTTPRequest.Method.get, "contexts/\(w.other.id)/members", nil),
                (.post, "contexts/\(w.other.id)/members", #"{"user_id":"\#(w.carol.id)"}"#),
                (.delete, "contexts/\(w.other.id)/members/\(UserID.localUser)", nil),
                (.patch, "contexts/\(w.other.id)", #"{"name":"mine"}"#),
                (.get, "contexts/\(w.other.id)/tools", nil),
                (.put, "contexts/\(w.other.id)/tools/clock", #"{"permission":"deny"}"#),
                (.get, "contexts/\(w.other.id)/mcp-servers", nil),
            ] as [(HTTPRequest.Method, String, String?)] {
                try expectRefused(try await call(client, method, path, body, bearer: w.limited), outside)
            }
            let limitedTo = "this API key is limited to context \(w.team.id) and cannot"
            try expectRefused(
                try await call(client, .post, "contexts", #"{"name":"new"}"#, bearer: w.limited), "\(limitedTo) create contexts")
            try expectRefused(
                try await call(client, .get, "diagnostics", bearer: w.limited),
                "a context-limited API key cannot use this admin endpoint")
            try expectRefused(
                try await call(client, .delete, "contexts/\(w.team.id)", bearer: w.limited), "\(limitedTo) delete contexts")
            try expectRefused(
                try await call(client, .post, "users", #"{"email":"eve@example.com"}"#, bearer: w.limited),
                "\(limitedTo) create users")
            try expectRefused(
                try await call(client, .patch, "users/\(w.bob.id)", #"{"role":"admin"}"#, bearer: w.limited),
                "\(limitedTo) change users")

            // Keys: only limited to its context, only for its members.
            try expectRefused(
                try await call(client, .post, "keys", #"{"name":"k","user_id":"\#(w.carol.id)"}"#, bearer: w.limited),
                "keys for context \(w.team.id) can only be created for its members; user \(w.carol.id) is not one")
            try expectRefused(
                try await call(
                    client, .post, "keys", #"{"name":"k","user_id":"\#(w.bob.id)","context_id":"\#(w.other.id)"}"#,
                    bearer: w.limited),
                "this API key is limited to context \(w.team.id) and can only create keys limited to it, not to \(w.other.id)")
            let (wide, _) = try await harness.keys.createKey(for: w.bob.id, context: nil, name: "wide")
            try expectRefused(
                try await call(client, .delete, "keys/\(wide.id)", bearer: w.limited),
                "this API key is limited to context \(w.team.id) and cannot reach key \(wide.id)")
            #expect(try await harness.keys.keys(of: w.bob.id).first?.revokedAt == nil)
            var after = try await counts()
            #expect(after.0 == before.0 && after.1 == before.1 && after.2 == before.2 + 1 && after.3 == before.3)

            response = try await call(client, .post, "keys", #"{"name":"bob's","user_id":"\#(w.bob.id)"}"#, bearer: w.limited)
            #expect(response.status == .created)
            #expect(try json(response.body)["context_id"] as? String == w.team.id.rawValue)
            response = try await call(client, .get, "keys", bearer: w.limited)
            let listed = (try json(response.body)["data"] as? [[String: Any]]) ?? []
            #expect(listed.count == 2)
            #expect(listed.allSatisfy { $0["context_id"] as? String == w.team.id.rawValue })
            after = try await counts()
            #expect(after.2 == before.2 + 2)
        }
    }

    @Test func ownersLimitedKey_managesMembersButNotToolsOrOtherContexts() async throws {
        try await Harness.run { harness, client throws in
            let w = try await world(harness)
            let bobs = try await harness.tenants.createContext(name: "bobs", kind: .shared, owner: w.bob.id)
            let (_, owner) = try await harness.keys.createKey(for: w.bob.id, context: bobs.id, name: "owner")
            let (_, member) = try await harness.keys.createKey(for: w.bob.id, context: w.team.id, name: "member")
            let (_, wide) = try await harness.keys.createKey(for: w.bob.id, context: nil, name: "wide")

            var response = try await call(
                client, .post, "contexts/\(bobs.id)/members", #"{"user_id":"\#(w.carol.id)"}"#, bearer: owner)
            #expect(response.status == .created)
            response = try await call(client, .get, "contexts", bearer: owner)
            #expect((try json(response.body)["data"] as? [[String: Any]])?.map { $0["name"] as? String } == ["bobs"])
            response = try await call(client, .put, "contexts/\(bobs.id)/tools/clock", #"{"permission":"allow"}"#, bearer: owner)
            #expect(response.status == .ok, "an owner sets a tool's permission in their context")
            try expectRefused(
                try await call(client, .post, "contexts/\(bobs.id)/mcp-servers", #"{"name":"sh","command":"/bin/cat"}"#, bearer: owner),
                try #require(PortalAccess.refusal(isAdmin: false, role: .owner, .configureHost)))
            try expectRefused(
                try await call(client, .get, "contexts/\(w.team.id)/members", bearer: owner),
                "this API key is limited to context \(bobs.id) and cannot reach context \(w.team.id)")
            try expectRefused(
                try await call(client, .get, "contexts", bearer: member),
                "this API key is limited to a context its user does not own; only admins and the context's owners may manage it")
            // Bob's unrestricted key reaches what Bob owns (his personal context and bobs), nothing global.
            response = try await call(client, .get, "users", bearer: wide)
            let emails = (try json(response.body)["data"] as? [[String: Any]])?.compactMap { $0["email"] as? String }
            #expect(emails?.sorted() == ["bob@example.com", "carol@example.com"])
            try expectRefused(
                try await call(client, .get, "contexts/\(w.team.id)/members", bearer: wide),
                "you do not own context \(w.team.id); only its owners and admins may manage it")
            try expectRefused(
                try await call(client, .post, "users", #"{"email":"eve@example.com"}"#, bearer: wide),
                "only admins can create users; owners manage their own contexts")
            try expectRefused(try await call(client, .get, "diagnostics", bearer: wide), "this endpoint is for admins only")
            #expect(try await harness.tenants.members(of: w.team.id).count == 2)
        }
    }

    @Test func lastAdmin_cannotBeDemoted_evenByThemselves() async throws {
        try await Harness.run { harness, client throws in
            var response = try await call(client, .patch, "users/\(UserID.localUser)", #"{"role":"user"}"#, bearer: Harness.apiKey)
            #expect(response.status == .conflict)
            #expect(
                try errorBody(response.body)["message"] as? String
                    == "user \(UserID.localUser) is the last admin and cannot be demoted; make another user an admin first")
            #expect(try await harness.tenants.user(.localUser)?.role == .admin)

            let (ada, _) = try await harness.tenants.provisionUser(email: "ada@example.com", displayName: "Ada", role: .admin)
            let (_, adaKey) = try await harness.keys.createKey(for: ada.id, context: nil, name: "ada")
            response = try await call(client, .patch, "users/\(UserID.localUser)", #"{"role":"user"}"#, bearer: adaKey)
            #expect(response.status == .ok)
            response = try await call(client, .patch, "users/\(ada.id)", #"{"role":"user"}"#, bearer: adaKey)
            #expect(response.status == .conflict)
            #expect(
                try errorBody(response.body)["message"] as? String
                    == "user \(ada.id) is the last admin and cannot be demoted; make another user an admin first")
            #expect(try await harness.tenants.user(ada.id)?.role == .admin)
        }
    }

    @Test func defaultContext_isSetExplicitly_andOnlyToAMembership() async throws {
        try await Harness.run { harness, client throws in
            let w = try await world(harness)
            var response = try await call(client, .patch, "users/\(w.bob.id)", #"{"default_context":"team"}"#, bearer: Harness.apiKey)
            #expect(response.status == .ok)
            #expect(try await harness.tenants.memberships(of: w.bob.id).filter(\.isDefault).map(\.contextID) == [w.team.id])

            let before = try await harness.tenants.memberships(of: w.bob.id)
            response = try await call(
                client, .patch, "users/\(w.bob.id)", #"{"default_context":"\#(w.other.id)","role":"admin"}"#,
                bearer: Harness.apiKey)
            #expect(response.status == .badRequest)
            let error = try errorBody(response.body)
            #expect(error["param"] as? String == "default_context")
            #expect(error["message"] as? String == "user \(w.bob.id) is not a member of a context '\(w.other.id)'")
            #expect(try await harness.tenants.memberships(of: w.bob.id) == before)
            #expect(try await harness.tenants.user(w.bob.id)?.role == .user)

            response = try await call(client, .patch, "users/\(w.bob.id)", "{}", bearer: Harness.apiKey)
            #expect(response.status == .badRequest)
            #expect(try errorBody(response.body)["message"] as? String == "'role' or 'default_context' is required")
        }
    }
}
