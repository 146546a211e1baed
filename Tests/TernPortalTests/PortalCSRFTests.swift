import TernHTTP
import Testing

/// The CSRF check's accept/reject table (``PortalCSRF``).
@Suite struct PortalCSRFTests {
    static let csrf = PortalCSRF(secretKey: Array(repeating: 7, count: 32))
    static let origin = "https://tern.example.test"
    static let good = csrf.token(for: "session-1")

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let token: String?
        var origin: String? = PortalCSRFTests.origin
        var fetchSite: String? = "same-origin"
        let accepted: Bool
        /// Words the refusal must contain.
        var why = ""
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "token, same-origin", token: good, accepted: true),
        Case(name: "token, no browser headers (curl)", token: good, origin: nil, fetchSite: nil, accepted: true),
        Case(name: "token, typed by the user", token: good, origin: nil, fetchSite: "none", accepted: true),
        Case(name: "token, Origin only, same", token: good, origin: origin.uppercased(), fetchSite: nil, accepted: true),
        Case(name: "no token", token: nil, accepted: false, why: "missing"),
        Case(name: "empty token", token: "", accepted: false, why: "missing"),
        Case(name: "another session's token", token: csrf.token(for: "session-2"), accepted: false, why: "does not match"),
        Case(name: "token one character short", token: String(good.dropLast()), accepted: false, why: "does not match"),
        Case(name: "cross-site", token: good, origin: "https://evil.test", fetchSite: "cross-site", accepted: false, why: "another site"),
        Case(
            name: "same-site sibling", token: good, origin: "https://x.example.test", fetchSite: "same-site", accepted: false,
            why: "another site"),
        Case(
            name: "foreign Origin, no Sec-Fetch-Site", token: good, origin: "https://evil.test", fetchSite: nil, accepted: false,
            why: "evil.test"),
        Case(name: "Origin null", token: good, origin: "null", fetchSite: nil, accepted: false, why: "null"),
    ]

    @Test(arguments: cases)
    func check(_ example: Case) {
        let refusal = Self.csrf.refusal(
            PortalCSRF.Request(
                sessionID: "session-1", token: example.token, origin: example.origin, fetchSite: example.fetchSite,
                expectedOrigin: Self.origin))
        #expect((refusal == nil) == example.accepted, "\(example.name): \(refusal ?? "accepted")")
        if !example.accepted { #expect(refusal?.contains(example.why) == true, "\(refusal ?? "")") }
    }

    /// Behind a proxy that rewrites `Host` (nginx's default) the request names an inner host;
    /// a form from the public URL's pages must still pass, and a foreign one still fail.
    @Test(arguments: [
        ("https://tern.example.test", true), ("HTTPS://Tern.Example.Test", true), ("https://tern.example.test:443", true),
        ("http://tern.example.test", false), ("https://tern.example.test:8443", false), ("https://evil.test", false),
        ("null", false),
    ])
    func origin_ofThePublicURLPassesWhenAProxyRewritesHost(origin: String, accepted: Bool) {
        let csrf = PortalCSRF(secretKey: Array(repeating: 7, count: 32), publicURL: "https://tern.example.test:443")
        let refusal = csrf.refusal(
            PortalCSRF.Request(
                sessionID: "session-1", token: csrf.token(for: "session-1"), origin: origin, fetchSite: nil,
                expectedOrigin: "http://127.0.0.1:8080"))
        #expect((refusal == nil) == accepted, "\(origin): \(refusal ?? "accepted")")
        if !accepted { #expect(refusal?.contains("https://tern.example.test or http://127.0.0.1:8080") == true) }
    }

    @Test func origin_ofAURL() {
        #expect(PortalCSRF.origin(of: "https://Tern.example.com/") == "https://tern.example.com")
        #expect(PortalCSRF.origin(of: "http://tern.example.com:80") == "http://tern.example.com")
        #expect(PortalCSRF.origin(of: "http://127.0.0.1:8080/sub") == "http://127.0.0.1:8080")
        #expect(PortalCSRF.origin(of: "ftp://tern.example.com") == nil)
        #expect(PortalCSRF.origin(of: "not a url") == nil)
    }

    @Test func token_isPerSessionAndPerKey() {
        #expect(Self.csrf.token(for: "a") == Self.csrf.token(for: "a"))
        #expect(Self.csrf.token(for: "a") != Self.csrf.token(for: "b"))
        #expect(PortalCSRF(secretKey: Array(repeating: 8, count: 32)).token(for: "a") != Self.csrf.token(for: "a"))
    }
}
