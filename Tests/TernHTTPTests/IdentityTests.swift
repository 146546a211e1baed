import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TernStore
import Testing
import TernCore

/// Who the API thinks the caller is: stored keys, static keys, trusted proxies, contexts.
@Suite(.timeLimit(.minutes(1))) struct IdentityTests {
    static let proxyKey = "proxy-key-0123456789abcdef"

    static func headers(bearer: String?, _ extra: [String: String] = [:]) -> HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json"]
        if let bearer { fields[.authorization] = "Bearer \(bearer)" }
        for (name, value) in extra { fields[HTTPField.Name(name)!] = value }
        return fields
    }

    func modelIDs(_ client: some TestClientProtocol, _ headers: HTTPFields) async throws -> [String] {
        let response = try await client.execute(uri: "/v1/models", method: .get, headers: headers)
        #expect(response.status == .ok)
        return (try json(response.body)["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    @Test func storedKey_isItsUser_andSeesOnlyItsContexts() async throws {
        try await Harness.run { harness, client throws in
            let (user, _) = try await harness.tenants.provisionUser(email: "ann@example.com", displayName: "Ann", role: .user)
            let (_, secret) = try await harness.keys.createKey(for: user.id, context: nil, name: "cli")
            // Her personal context is what `tern` means for her; only shared contexts are listed.
            #expect(try await modelIDs(client, Self.headers(bearer: secret)) == ["tern"])
        }
    }

    @Test func revokedKey_isRefused() async throws {
        try await Harness.run { harness, client throws in
            let (record, secret) = try await harness.keys.createKey(for: .localUser, context: nil, name: "old")
            _ = try await harness.keys.revoke(record.id, at: Date())
            let response = try await client.execute(uri: "/v1/models", method: .get, headers: Self.headers(bearer: secret))
            #expect(response.status == .unauthorized)
            #expect(try errorBody(response.body)["message"] as? String == "invalid API key")
        }
    }

    @Test func forwardedHeadersWithoutProxyKey_areIgnoredAndRefused() async throws {
        try await Harness.run(apiKeys: [Harness.apiKey], proxyKeys: [Self.proxyKey]) { harness, client throws in
            let forged = ["X-OpenWebUI-User-Email": "mallory@example.com", "X-OpenWebUI-User-Role": "admin"]
            let anonymous = try await client.execute(uri: "/v1/models", method: .get, headers: Self.headers(bearer: nil, forged))
            #expect(anonymous.status == .unauthorized)
            let wrong = try await client.execute(
                uri: "/v1/models", method: .get, headers: Self.headers(bearer: "wrong-proxy-key-0123456789", forged))
            #expect(wrong.status == .unauthorized)
            // With an ordinary key the headers change nothing: the caller stays the key's user.
            let keyed = try await modelIDs(client, Self.headers(bearer: Harness.apiKey, forged))
            #expect(keyed == ["tern", "tern/default"])
            #expect(try await harness.tenants.user(email: "mallory@example.com") == nil)
        }
    }

    @Test func proxyKey_provisionsTheForwardedUserOnce_roleOnlyAtCreation() async throws {
        try await Harness.run(apiKeys: [], proxyKeys: [Self.proxyKey]) { harness, client throws in
            let headers = Self.headers(
                bearer: Self.proxyKey,
                ["X-OpenWebUI-User-Email": "Zoe@Example.com", "X-OpenWebUI-User-Name": "Zoe", "X-OpenWebUI-User-Role": "admin"])
            #expect(try await modelIDs(client, headers) == ["tern"])
            let zoe = try #require(try await harness.tenants.user(email: "zoe@example.com"))
            #expect(zoe.role == .admin)
            _ = try await harness.tenants.setRole(.user, of: zoe.id)
            // The database is authoritative afterwards: the header cannot raise the role again.
            let admin = try await client.execute(uri: "/admin/api/v1/diagnostics", method: .get, headers: headers)
            #expect(admin.status == .forbidden)
            #expect(try await harness.tenants.users().filter { $0.email == "zoe@example.com" }.count == 1)
        }
    }

    @Test func contextChoice_byHeaderOrModel_mustBeAMembership() async throws {
        try await Harness.run { harness, client throws in
            let (ann, _) = try await harness.tenants.provisionUser(email: "ann@example.com", displayName: "Ann", role: .user)
            let team = try await harness.tenants.createContext(name: "team", kind: .shared, owner: nil)
            _ = try await harness.tenants.addMember(ann.id, to: team.id, role: .member)
            let (_, secret) = try await harness.keys.createKey(for: ann.id, context: nil, name: "k")

            var viaHeader = Self.headers(bearer: secret, ["X-Tern-Context": "team"])
            var response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: viaHeader, body: chatBody())
            #expect(response.status == .ok)
            response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: Self.headers(bearer: secret),
                body: ByteBuffer(string: #"{"model":"tern/team","messages":[{"role":"user","content":"hello there"}]}"#))
            #expect(response.status == .ok)
            let summaries = try await harness.tenants.contextSummaries()
            #expect(summaries.first { $0.context.name == "team" }?.conversationCount == 1)

            viaHeader = Self.headers(bearer: secret, ["X-Tern-Context": "default"])
            response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: viaHeader, body: chatBody())
            #expect(response.status == .forbidden)
            #expect(try errorBody(response.body)["message"] as? String == "you are not a member of context 'default'")
            response = try await client.execute(
                uri: "/v1/models", method: .get, headers: Self.headers(bearer: secret, ["X-Tern-Context": "nowhere"]))
            #expect(response.status == .notFound)
            #expect(try errorBody(response.body)["code"] as? String == "context_not_found")
        }
    }

    @Test func restrictedKey_staysInItsContext() async throws {
        try await Harness.run { harness, client throws in
            let (ann, personal) = try await harness.tenants.provisionUser(email: "ann@example.com", displayName: "Ann", role: .user)
            let team = try await harness.tenants.createContext(name: "team", kind: .shared, owner: nil)
            _ = try await harness.tenants.addMember(ann.id, to: team.id, role: .member)
            let (_, secret) = try await harness.keys.createKey(for: ann.id, context: team.id, name: "team only")
            #expect(try await modelIDs(client, Self.headers(bearer: secret)) == ["tern", "tern/team"])
            let response = try await client.execute(
                uri: "/v1/models", method: .get, headers: Self.headers(bearer: secret, ["X-Tern-Context": personal.name]))
            #expect(response.status == .forbidden)
        }
    }
}
