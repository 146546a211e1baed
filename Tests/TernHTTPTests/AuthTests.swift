import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite(.timeLimit(.minutes(1))) struct AuthTests {
    @Test(arguments: [
        (nil as String?, "missing Authorization header"),
        ("Bearer wrong-key-0123456789abcdef", "invalid API key"),
        ("Basic dXNlcjpwYXNz", "must be 'Bearer <api key>'"),
        ("Bearer \(Harness.apiKey)x", "invalid API key"),
        ("Bearer " + String(Harness.apiKey.dropLast()), "invalid API key"),
    ])
    func badCredentials_get401(_ header: String?, _ message: String) async throws {
        try await Harness.run { harness, client throws in
            var headers: HTTPFields = [.contentType: "application/json"]
            if let header { headers[.authorization] = header }
            for (uri, method, body) in [("/v1/models", HTTPRequest.Method.get, nil), ("/v1/chat/completions", .post, chatBody())] {
                let response = try await client.execute(uri: uri, method: method, headers: headers, body: body)
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
                let error = try errorBody(response.body)
                #expect((error["message"] as? String)?.contains(message) == true)
                #expect(error["type"] as? String == "authentication_error")
            }
            #expect(try await harness.count("messages") == 0)
        }
    }

    @Test func anyConfiguredKey_isAccepted() async throws {
        let second = "second-key-abcdefghijklmnop"
        try await Harness.run(apiKeys: [Harness.apiKey, second]) { _, client throws in
            for key in [Harness.apiKey, second] {
                let response = try await client.execute(
                    uri: "/v1/models", method: .get, headers: [.authorization: "Bearer \(key)"])
                #expect(response.status == .ok)
            }
        }
    }

    /// A proxy key without a forwarded user is refused (OpenWebUIIdentityTests); a static key
    /// still means the local admin, also when proxy keys are configured.
    @Test func staticKey_besideProxyKeys_isStillTheLocalAdmin() async throws {
        try await Harness.run(apiKeys: [Harness.apiKey], proxyKeys: [IdentityTests.proxyKey]) { _, client throws in
            let admin = try await client.execute(
                uri: "/admin/api/v1/users", method: .get, headers: [.authorization: "Bearer \(Harness.apiKey)"])
            #expect(admin.status == .ok)
            let proxied = try await client.execute(
                uri: "/admin/api/v1/users", method: .get, headers: [.authorization: "Bearer \(IdentityTests.proxyKey)"])
            #expect(proxied.status == .unauthorized)
        }
    }

    @Test func noKeysConfigured_apiIsOpen() async throws {
        try await Harness.run(apiKeys: []) { _, client throws in
            let response = try await client.execute(uri: "/v1/models", method: .get)
            #expect(response.status == .ok)
        }
    }

    @Test func healthProbes_needNoKey() async throws {
        try await Harness.run { _, client throws in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            #expect(try json(ready.body)["store"] as? String == "ok")
        }
    }
}
