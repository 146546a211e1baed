import Testing
@testable import TernApp

/// The portal's keys (`TERN_PUBLIC_URL`, `TERN_ADMIN_SESSION_*`, `TERN_OIDC_*`, `TERN_ADMIN_EMAILS`)
/// load with the documented defaults; a partial OIDC setup is refused naming what is missing.
@Suite struct PortalConfigTests {
    static func load(_ environment: [String: String]) throws(ConfigError) -> TernConfig {
        try ServerLimitsConfigTests.load(environment)
    }

    static let oidc = [
        "TERN_PUBLIC_URL": "https://tern.example.com/", "TERN_OIDC_ISSUER": "https://id.example.com",
        "TERN_OIDC_CLIENT_ID": "tern", "TERN_OIDC_CLIENT_SECRET": "s3cret",
    ]

    /// The problems of loading `environment`, or none.
    static func problems(_ environment: [String: String]) -> [String] {
        do {
            _ = try load(environment)
            return []
        } catch {
            return error.problems
        }
    }

    @Test func defaults_matchTheDocumentedValues() throws {
        let portal = try Self.load([:]).portal
        #expect(portal == TernConfig.Portal(publicURL: nil, idleMinutes: 30, maxHours: 12, oidc: nil))
    }

    @Test func fullOIDCSetup_loads() throws {
        let portal = try Self.load(
            Self.oidc.merging([
                "TERN_ADMIN_EMAILS": "ada@example.com, bo@example.com", "TERN_OIDC_ADMIN_GROUP": "tern-admins",
                "TERN_ADMIN_SESSION_IDLE_MINUTES": "15", "TERN_ADMIN_SESSION_MAX_HOURS": "8",
            ]) { $1 }
        ).portal
        #expect(portal.publicURL == "https://tern.example.com")
        #expect(portal.idleMinutes == 15 && portal.maxHours == 8)
        #expect(
            portal.oidc
                == TernConfig.OIDC(
                    issuer: "https://id.example.com", clientID: "tern", clientSecret: "s3cret",
                    adminEmails: ["ada@example.com", "bo@example.com"], adminGroup: "tern-admins"))
        #expect(ConfigKey.oidcClientSecret.isSecret)
    }

    @Test(arguments: ["TERN_OIDC_ISSUER", "TERN_OIDC_CLIENT_ID", "TERN_OIDC_CLIENT_SECRET"])
    func partialOIDCSetup_namesTheMissingKey(_ missing: String) {
        var environment = Self.oidc
        environment[missing] = nil
        let problems = Self.problems(environment)
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("\(missing) is empty") == true, "\(problems)")
    }

    @Test func adminEmailsWithoutOIDC_namesTheMissingKeys() {
        let problems = Self.problems(["TERN_ADMIN_EMAILS": "ada@example.com", "TERN_PUBLIC_URL": "https://t.example"])
        #expect(problems.count == 3)
        #expect(problems.allSatisfy { $0.contains("environment TERN_ADMIN_EMAILS is set") })
        #expect(problems.contains { $0.hasPrefix("TERN_OIDC_ISSUER is empty") })
    }

    @Test func oidcWithoutPublicURL_isAProblem() {
        var environment = Self.oidc
        environment["TERN_PUBLIC_URL"] = nil
        #expect(
            Self.problems(environment) == [
                "TERN_PUBLIC_URL is empty, but OIDC login (environment TERN_OIDC_ISSUER, environment TERN_OIDC_CLIENT_ID, environment TERN_OIDC_CLIENT_SECRET) needs it for its redirect URL"
            ])
    }

    @Test(arguments: [
        ("TERN_PUBLIC_URL", "tern.example.com", "must be the http(s) URL browsers reach Tern at"),
        ("TERN_PUBLIC_URL", "https://tern.example.com/?x=1", "must be the http(s) URL browsers reach Tern at"),
        ("TERN_ADMIN_SESSION_IDLE_MINUTES", "0", "must be a whole number from 1 to 1440"),
        ("TERN_ADMIN_SESSION_MAX_HOURS", "721", "must be a whole number from 1 to 720"),
        ("TERN_OIDC_ISSUER", "id.example.com", "must be the provider's http(s) issuer URL"),
        ("TERN_ADMIN_EMAILS", "ada", "must be email addresses, comma-separated; got 'ada'"),
    ])
    func badValue_isRejectedNamingTheKey(_ key: String, _ value: String, _ says: String) {
        let problems = Self.problems(Self.oidc.merging([key: value]) { $1 })
        #expect(problems.contains { $0.contains(key) && $0.contains(says) }, "\(problems)")
    }

    @Test func idleLongerThanMaximum_isAProblem() {
        let problems = Self.problems(["TERN_ADMIN_SESSION_IDLE_MINUTES": "120", "TERN_ADMIN_SESSION_MAX_HOURS": "1"])
        #expect(
            problems == ["environment TERN_ADMIN_SESSION_IDLE_MINUTES (120) is longer than environment TERN_ADMIN_SESSION_MAX_HOURS (1 h)"])
    }
}
