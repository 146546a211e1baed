import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import TernStore
import Testing
import TernAgent
import TernCore
import TernHTTP

/// Open WebUI's forwarded identities as Open WebUI 0.12 sends them: percent-encoded names, the
/// signed `X-OpenWebUI-User-Jwt`, the chat id, and refusal of proxy requests naming no user.
@Suite(.timeLimit(.minutes(1))) struct OpenWebUIIdentityTests {
    static let proxyKey = IdentityTests.proxyKey
    static let secret = "owui-jwt-secret-0123456789abcdef"
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    struct FixedClock: WallClock {
        func now() -> Date { OpenWebUIIdentityTests.now }
    }

    /// The claims Open WebUI's `_mint_forward_user_jwt` signs.
    struct OpenWebUIClaims: JWTPayload {
        var sub = "owui-user-1"
        var email: String? = "ann@example.com"
        var name = "Ann"
        var role = "user"
        var iss = "open-webui"
        var iat = Int(OpenWebUIIdentityTests.now.timeIntervalSince1970)
        var exp: Int? = Int(OpenWebUIIdentityTests.now.timeIntervalSince1970) + 300

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    static func token(
        _ claims: OpenWebUIClaims = .init(), secret: String = secret, digest: DigestAlgorithm = .sha256
    ) async throws -> String {
        try await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: digest).sign(claims)
    }

    static func verifier() async -> OpenWebUIJWTVerifier {
        await OpenWebUIJWTVerifier(secret: secret, clock: FixedClock())
    }

    static func base64URL(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func proxyHeaders(_ extra: [String: String]) -> HTTPFields {
        IdentityTests.headers(bearer: proxyKey, extra)
    }

    /// A 401 in OpenAI's shape whose message contains `fragment`; nothing stored.
    static func expectRefused(
        _ response: TestResponse, _ fragment: String, harness: Harness, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        #expect(response.status == .unauthorized, sourceLocation: sourceLocation)
        let error = try errorBody(response.body)
        let message = error["message"] as? String ?? ""
        #expect(message.contains(fragment), "\(message)", sourceLocation: sourceLocation)
        #expect(error["type"] as? String == "authentication_error", sourceLocation: sourceLocation)
        #expect(error["code"] as? String == "invalid_forwarded_user", sourceLocation: sourceLocation)
        #expect(try await harness.count("users") == 1, "only the built-in local user", sourceLocation: sourceLocation)
        #expect(try await harness.count("messages") == 0, sourceLocation: sourceLocation)
    }

    // MARK: plain headers

    @Test func percentEncodedName_isStoredDecoded() async throws {
        try await Harness.run(apiKeys: [], proxyKeys: [Self.proxyKey]) { harness, client throws in
            let response = try await client.execute(
                uri: "/v1/models", method: .get,
                headers: Self.proxyHeaders([
                    "X-OpenWebUI-User-Email": "bob@example.com", "X-OpenWebUI-User-Name": "B%C3%B8b van 100%25",
                ]))
            #expect(response.status == .ok)
            let bob = try #require(try await harness.tenants.user(email: "bob@example.com"))
            #expect(bob.displayName == "Bøb van 100%")
        }
    }

    @Test func plainName_withoutPercent_isUnchanged() throws {
        #expect(try OpenWebUIIdentity.decodeName("Ann Lee+Co") == "Ann Lee+Co")
    }

    @Test(arguments: ["100%", "B%C3", "%ZZ", "%C3%28"])
    func invalidNameEncoding_is401(_ name: String) async throws {
        try await Harness.run(apiKeys: [], proxyKeys: [Self.proxyKey]) { harness, client throws in
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post,
                headers: Self.proxyHeaders(["X-OpenWebUI-User-Email": "bob@example.com", "X-OpenWebUI-User-Name": name]),
                body: chatBody())
            try await Self.expectRefused(response, "X-OpenWebUI-User-Name is not valid percent-encoding", harness: harness)
        }
    }

    @Test func invalidNameEncoding_withAnOrdinaryKey_isIgnored() async throws {
        try await Harness.run(apiKeys: [Harness.apiKey], proxyKeys: [Self.proxyKey]) { _, client throws in
            let response = try await client.execute(
                uri: "/v1/models", method: .get,
                headers: IdentityTests.headers(
                    bearer: Harness.apiKey,
                    ["X-OpenWebUI-User-Email": "bob@example.com", "X-OpenWebUI-User-Name": "%ZZ"]))
            #expect(response.status == .ok)
        }
    }

    // MARK: fail closed

    @Test func proxyKeyWithoutForwardedUser_is401NamingTheSetting() async throws {
        try await Harness.run(apiKeys: [Harness.apiKey], proxyKeys: [Self.proxyKey]) { harness, client throws in
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: Self.proxyHeaders(["X-OpenWebUI-User-Name": "Ann"]),
                body: chatBody())
            try await Self.expectRefused(response, "ENABLE_FORWARD_USER_INFO_HEADERS=true", harness: harness)
            #expect(response.headers[.wwwAuthenticate] == "Bearer")
            // The model list still answers (with `tern` only, as nobody), so Open WebUI lists the
            // model and its chats show the refusal above instead of an empty model list.
            let models = try await client.execute(
                uri: "/v1/models", method: .get, headers: Self.proxyHeaders(["X-OpenWebUI-User-Name": "Ann"]))
            #expect(models.status == .ok)
            #expect((try json(models.body)["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["tern"])
            #expect(try await harness.count("users") == 1)
            // The admin API is not the local admin's either.
            let admin = try await client.execute(uri: "/admin/api/v1/users", method: .get, headers: Self.proxyHeaders([:]))
            #expect(admin.status == .unauthorized)
        }
    }

    @Test func proxyKeyWithOnlyAJWT_andNoSecret_is401NamingTheSecret() async throws {
        try await Harness.run(apiKeys: [], proxyKeys: [Self.proxyKey]) { harness, client throws in
            let token = try await Self.token()
            let response = try await client.execute(
                uri: "/v1/models", method: .get, headers: Self.proxyHeaders(["X-OpenWebUI-User-Jwt": token]))
            try await Self.expectRefused(response, "set TERN_OPENWEBUI_JWT_SECRET", harness: harness)
        }
    }

    /// Decision: without a secret Tern cannot check a token, so it ignores it and the plain headers
    /// (trusted with the proxy key, as always without a secret) name the user.
    @Test func jwtWithoutSecret_besidePlainHeaders_isIgnored() async throws {
        try await Harness.run(apiKeys: [], proxyKeys: [Self.proxyKey]) { harness, client throws in
            let token = try await Self.token(.init(email: "mallory@example.com"), secret: "anything-at-all-0123456789abcdefghij")
            let response = try await client.execute(
                uri: "/v1/models", method: .get,
                headers: Self.proxyHeaders(["X-OpenWebUI-User-Jwt": token, "X-OpenWebUI-User-Email": "ann@example.com"]))
            #expect(response.status == .ok)
            #expect(try await harness.tenants.user(email: "ann@example.com") != nil)
            #expect(try await harness.tenants.user(email: "mallory@example.com") == nil)
        }
    }

    // MARK: signed identity

    @Test func validJWT_namesTheUser_andBeatsPlainHeaders() async throws {
        let verifier = await Self.verifier()
        try await Harness.run(apiKeys: [], proxyKeys: [Self.proxyKey], forwardedTokens: verifier) { harness, client throws in
            let token = try await Self.token(.init(email: "Ann@Example.com", name: "Ånn Lee", role: "admin"))
            let response = try await client.execute(
                uri: "/v1/models", method: .get,
                headers: Self.proxyHeaders([
                    "X-OpenWebUI-User-Jwt": token, "X-OpenWebUI-User-Email": "mallory@example.com",
                    "X-OpenWebUI-User-Name": "Mallory", "X-OpenWebUI-User-Role": "user",
                ]))
            #expect(response.status == .ok)
            let ann = try #require(try await harness.tenants.user(email: "ann@example.com"))
            #expect(ann.displayName == "Ånn Lee")
            #expect(ann.role == .admin)
            #expect(try await harness.tenants.user(email: "mallory@example.com") == nil)
        }
    }

    @Test func secretSetButNoJWT_is401_neverPlainHeaders() async throws {
        let verifier = await Self.verifier()
        try await Harness.run(apiKeys: [], proxyKeys: [Self.proxyKey], forwardedTokens: verifier) { harness, client throws in
            let response = try await client.execute(
                uri: "/v1/models", method: .get,
                headers: Self.proxyHeaders(["X-OpenWebUI-User-Email": "ann@example.com", "X-OpenWebUI-User-Name": "Ann"]))
            try await Self.expectRefused(response, "FORWARD_USER_INFO_HEADER_JWT_SECRET", harness: harness)
        }
    }

    /// Each bad token next to valid plain headers: a rejected token never falls back to them.
    @Test(arguments: [
        ("expired beyond leeway", "expired at"),
        ("wrong secret", "signature does not match TERN_OPENWEBUI_JWT_SECRET"),
        ("alg none", "signed with 'none'"),
        ("alg RS256", "signed with 'RS256'"),
        ("alg HS384", "signed with 'HS384'"),
        ("tampered payload", "signature does not match"),
        ("missing email", "no email claim"),
        ("missing exp", "no exp claim"),
        ("not a JWT", "not a well-formed JWT"),
    ])
    func badJWT_is401NamingWhy(_ kind: String, _ why: String) async throws {
        let verifier = await Self.verifier()
        let valid = try await Self.token()
        let parts = valid.split(separator: ".").map(String.init)
        let now = Int(Self.now.timeIntervalSince1970)
        let token: String =
            switch kind {
            case "expired beyond leeway": try await Self.token(.init(exp: now - 61))
            case "wrong secret": try await Self.token(secret: "another-secret-0123456789abcdefghij")
            case "alg none": Self.base64URL(#"{"alg":"none","typ":"JWT"}"#) + "." + parts[1] + "."
            case "alg RS256": Self.base64URL(#"{"alg":"RS256","typ":"JWT"}"#) + "." + parts[1] + "." + parts[2]
            // HS384 needs a 48-byte key; the algorithm is refused before any signature is checked.
            case "alg HS384": try await Self.token(secret: Self.secret + "0123456789abcdef", digest: .sha384)
            case "tampered payload":
                parts[0] + "." + Self.base64URL(#"{"email":"mallory@example.com","exp":\#(now + 300)}"#) + "." + parts[2]
            case "missing email": try await Self.token(.init(email: nil))
            case "missing exp": try await Self.token(.init(exp: nil))
            default: "not-a-jwt"
            }
        try await Harness.run(apiKeys: [], proxyKeys: [Self.proxyKey], forwardedTokens: verifier) { harness, client throws in
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post,
                headers: Self.proxyHeaders(["X-OpenWebUI-User-Jwt": token, "X-OpenWebUI-User-Email": "ann@example.com"]),
                body: chatBody())
            try await Self.expectRefused(response, "X-OpenWebUI-User-Jwt rejected: it", harness: harness)
            #expect((try errorBody(response.body)["message"] as? String)?.contains(why) == true)
        }
    }

    @Test func jwtExpiredWithinLeeway_isAccepted() async throws {
        let verifier = await Self.verifier()
        let token = try await Self.token(.init(exp: Int(Self.now.timeIntervalSince1970) - 59))
        let user = try await verifier.verify(token)
        #expect(user == ForwardedUser(email: "ann@example.com", name: "Ann", role: "user"))
    }

    // MARK: chat id

    /// A router with only the auth middleware and a route that echoes what it resolved.
    static func echo(_ harness: Harness) -> Router<TernRequestContext> {
        let router = Router(context: TernRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.group("v1").add(middleware: AuthMiddleware(resolver: harness.identity))
            .get("whoami") { _, context -> String in
                let identity = try context.requireIdentity()
                return "\(identity.user.email ?? "-") \(context.forwardedChatID ?? "-")"
            }
        return router
    }

    @Test func chatID_isHonouredOnlyWithTheProxyKey() async throws {
        try await Harness.run(apiKeys: [Harness.apiKey], proxyKeys: [Self.proxyKey]) { harness, _ throws in
            try await Application(router: Self.echo(harness)).test(.live) { client in
                let chat = ["X-OpenWebUI-Chat-Id": "0b5c1f1e-8f43-4a4e-9a7e-3c1d2b9f6a10"]
                let proxied = try await client.execute(
                    uri: "/v1/whoami", method: .get,
                    headers: Self.proxyHeaders(chat.merging(["X-OpenWebUI-User-Email": "ann@example.com"]) { $1 }))
                #expect(String(buffer: proxied.body) == "ann@example.com 0b5c1f1e-8f43-4a4e-9a7e-3c1d2b9f6a10")
                let keyed = try await client.execute(
                    uri: "/v1/whoami", method: .get, headers: IdentityTests.headers(bearer: Harness.apiKey, chat))
                #expect(keyed.status == .ok)
                #expect(String(buffer: keyed.body).hasSuffix(" -"))
                let noChat = try await client.execute(
                    uri: "/v1/whoami", method: .get, headers: Self.proxyHeaders(["X-OpenWebUI-User-Email": "ann@example.com"]))
                #expect(String(buffer: noChat.body) == "ann@example.com -")
            }
        }
    }

    @Test func chatID_withTheSignedIdentity_comesFromItsHeader() async throws {
        let verifier = await Self.verifier()
        try await Harness.run(apiKeys: [], proxyKeys: [Self.proxyKey], forwardedTokens: verifier) { harness, _ throws in
            try await Application(router: Self.echo(harness)).test(.live) { client in
                let response = try await client.execute(
                    uri: "/v1/whoami", method: .get,
                    headers: Self.proxyHeaders([
                        "X-OpenWebUI-User-Jwt": try await Self.token(), "X-OpenWebUI-Chat-Id": "chat-42",
                    ]))
                #expect(String(buffer: response.body) == "ann@example.com chat-42")
            }
        }
    }

    @Test func overlongChatID_is401() async throws {
        try await Harness.run(apiKeys: [], proxyKeys: [Self.proxyKey]) { harness, client throws in
            let response = try await client.execute(
                uri: "/v1/models", method: .get,
                headers: Self.proxyHeaders([
                    "X-OpenWebUI-User-Email": "ann@example.com", "X-OpenWebUI-Chat-Id": String(repeating: "a", count: 257),
                ]))
            #expect(response.status == .unauthorized)
            #expect((try errorBody(response.body)["message"] as? String)?.contains("X-OpenWebUI-Chat-Id") == true)
        }
    }
}
