import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import TernStore
import TernTesting
import Testing
import TernCore

/// Two users in two contexts: neither can read, list, change or delete the other's data
/// through any endpoint, and the other's rows stay exactly as they were.
@Suite(.timeLimit(.minutes(1))) struct IsolationTests {
    struct Tenant {
        var user: User
        var context: Context
        var secret: String
    }

    func makeTenant(_ harness: Harness, _ email: String) async throws -> Tenant {
        let (user, context) = try await harness.tenants.provisionUser(email: email, displayName: email, role: .user)
        let (_, secret) = try await harness.keys.createKey(for: user.id, context: nil, name: "k")
        return Tenant(user: user, context: context, secret: secret)
    }

    func snapshot(_ harness: Harness, _ context: ContextID) async throws -> [String] {
        try await harness.database.read { db in
            try await db.raw(
                "SELECT role, content, status FROM messages WHERE context_id = \(bind: context.rawValue) ORDER BY created_at"
            ).all()
        }.map { "\(try $0.decode(column: "role", as: String.self)):\(try $0.decode(column: "content", as: String.self))" }
    }

    @Test func tenantA_cannotReachTenantBsData() async throws {
        try await Harness.run { harness, client throws in
            let a = try await makeTenant(harness, "a@example.com")
            let b = try await makeTenant(harness, "b@example.com")
            var bHeaders = IdentityTests.headers(bearer: b.secret, ["X-Tern-Conversation-Id": "secret-thread"])
            _ = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: bHeaders, body: chatBody("b's secret"))
            let before = try await snapshot(harness, b.context.id)
            #expect(before == ["user:b's secret", "assistant:Echo: b's secret"])

            // Listing: A sees only its own context.
            let models = try await client.execute(uri: "/v1/models", method: .get, headers: IdentityTests.headers(bearer: a.secret))
            let ids = (try json(models.body)["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(!ids.contains("tern/\(b.context.name)"))

            // Reading/writing: B's context by name or model id is forbidden.
            for headers in [
                IdentityTests.headers(bearer: a.secret, ["X-Tern-Context": b.context.name]),
                IdentityTests.headers(bearer: a.secret, ["X-Tern-Context": b.context.name, "X-Tern-Conversation-Id": "secret-thread"]),
            ] {
                let response = try await client.execute(
                    uri: "/v1/chat/completions", method: .post, headers: headers, body: chatBody("peek"))
                #expect(response.status == .forbidden)
            }
            let byModel = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: IdentityTests.headers(bearer: a.secret),
                body: ByteBuffer(string: #"{"model":"tern/\#(b.context.name)","messages":[{"role":"user","content":"peek"}]}"#))
            #expect(byModel.status == .forbidden)

            // Same conversation id in A's own context: a separate conversation, B's history unseen.
            let aHeaders = IdentityTests.headers(bearer: a.secret, ["X-Tern-Conversation-Id": "secret-thread"])
            let own = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: aHeaders, body: chatBody("mine"))
            #expect(own.status == .ok)
            let upstream = try #require(harness.fake?.chatRequests().last)
            #expect(!String(decoding: upstream.body, as: UTF8.self).contains("b's secret"))

            // Admin endpoints: a plain user's lists hold only what they own, and nothing of B's
            // can be changed or deleted.
            for uri in ["/admin/api/v1/contexts", "/admin/api/v1/users", "/admin/api/v1/keys"] {
                let response = try await client.execute(
                    uri: uri, method: .get, headers: IdentityTests.headers(bearer: a.secret))
                #expect(response.status == .ok, "GET \(uri)")
                let text = String(buffer: response.body)
                #expect(!text.contains(b.context.id.rawValue) && !text.contains(b.user.id.rawValue), "GET \(uri): \(text)")
            }
            let adminCalls: [(String, HTTPRequest.Method, String?)] = [
                ("/admin/api/v1/contexts/\(b.context.id)", .patch, #"{"name":"stolen"}"#),
                ("/admin/api/v1/contexts/\(b.context.id)", .delete, nil),
                ("/admin/api/v1/contexts/\(b.context.id)/members", .post, #"{"user_id":"\#(a.user.id)"}"#),
                ("/admin/api/v1/contexts/\(b.context.id)/members/\(b.user.id)", .delete, nil),
                ("/admin/api/v1/contexts/\(b.context.id)/members", .get, nil),
                ("/admin/api/v1/keys", .post, #"{"name":"x","user_id":"\#(b.user.id)"}"#),
                ("/admin/api/v1/keys", .post, #"{"name":"x","context_id":"\#(b.context.id)"}"#),
            ]
            for (uri, method, body) in adminCalls {
                let response = try await client.execute(
                    uri: uri, method: method, headers: IdentityTests.headers(bearer: a.secret), body: body.map { ByteBuffer(string: $0) })
                #expect(response.status == .forbidden, "\(method) \(uri)")
            }

            bHeaders[HTTPField.Name("X-Tern-Conversation-Id")!] = nil
            #expect(try await snapshot(harness, b.context.id) == before)
            #expect(try await harness.tenants.context(b.context.id)?.name == b.context.name)
            #expect(try await harness.tenants.members(of: b.context.id).map(\.userID) == [b.user.id])
            #expect(try await harness.keys.keys(of: b.user.id).count == 1)
        }
    }
}
