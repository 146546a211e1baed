import Foundation
import HTTPTypes
import TernApp
import TernCore
import TernHTTP
import Testing

/// The Settings page: admins only, one row per key with its source, and no secret value ever
/// in the page (nor in the snapshot the composition root hands the portal).
@Suite struct PortalSettingsPageTests {
    /// Distinct values, each easy to search for in a page.
    static let llmKey = "sk-llmkey-7f3a9c1e5b2d4f60"
    static let apiKey = "tern-apikey-0d9e8c7b6a5f4e3d"
    static let proxyKey = "proxy-key-a1b2c3d4e5f60718"
    static let jwtSecret = "jwt-secret-9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"
    static let telegramToken = "123456:telegram-token-ZZq8w7e6r5t4"
    static let embeddingKey = "emb-key-5e4d3c2b1a09f8e7"
    /// Base64 of 32 distinct bytes.
    static let secretKey = Data((0..<32).map { UInt8(200 - $0) }).base64EncodedString()
    static let databasePassword = "pg-pass-Xy7Qw3Er9T"

    @Test func admin_seesEveryKeyWithItsSource_andNoSecretValue() async throws {
        let environment = [
            "TERN_LLM_API_KEY": Self.llmKey, "TERN_API_KEYS": Self.apiKey, "TERN_TRUSTED_PROXY_KEYS": Self.proxyKey,
            "TERN_OPENWEBUI_JWT_SECRET": Self.jwtSecret, "TERN_TELEGRAM_TOKEN": Self.telegramToken,
            "TERN_TELEGRAM_API_URL": "http://127.0.0.1:9", "TERN_EMBEDDING_API_KEY": Self.embeddingKey,
            "TERN_SECRET_KEY": Self.secretKey,
        ]
        // The database URL with a password cannot be the test server's own (that would need a
        // server): its row comes from loading that configuration the same way.
        let withDatabase = try TernConfig.load(
            environment: ["TERN_DATABASE_URL": "postgres://tern:\(Self.databasePassword)@db.example:5432/tern"],
            workingDirectory: FileManager.default.temporaryDirectory.path)
        let databaseRow = try #require(withDatabase.settings.first { $0.key == "TERN_DATABASE_URL" })
        try await LiveTern.run(
            environment: environment,
            configure: { config in
                config.settings = config.settings.map { $0.key == databaseRow.key ? databaseRow : $0 }
            }
        ) { dependencies, client in
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let page = try await browser.get("/admin/settings")
            #expect(page.status == .ok)
            for key in ConfigKey.allCases { #expect(page.html.contains("<code>\(key.rawValue)</code>"), "\(key)") }
            let secrets = [
                Self.llmKey, Self.apiKey, Self.proxyKey, Self.jwtSecret, Self.telegramToken, Self.embeddingKey, Self.secretKey,
                Self.databasePassword,
            ]
            for secret in secrets {
                #expect(!page.html.contains(secret), "the page shows \(secret)")
                #expect(!page.html.contains(String(secret.prefix(8))), "the page shows a prefix of \(secret)")
            }
            #expect(page.html.contains("<code>postgres://tern:***@db.example:5432/tern</code>"))
            #expect(
                page.html.contains(
                    "<tr><td><code>TERN_LLM_API_KEY</code></td><td><code>llm_api_key</code></td><td><em>set</em> "
                        + "<span class=\"muted\">(secret)</span></td><td>environment</td></tr>"))
            #expect(
                page.html.contains(
                    "<td><code>TERN_SECRET_KEY_PREVIOUS</code></td><td><code>secret_key_previous</code></td><td><em>not set</em>"))
            #expect(
                page.html.contains("<td><code>TERN_PORT</code></td><td><code>port</code></td><td><code>0</code></td><td>environment</td>"))
            #expect(page.html.contains("restart"))
        }
    }

    @Test func nonAdmins_areRefused() async throws {
        try await LiveTern.run { dependencies, client in
            let (owner, _) = try await dependencies.tenants.provisionUser(email: "o@example.test", displayName: "O", role: .user)
            _ = try await dependencies.tenants.createContext(name: "team", kind: .shared, owner: owner.id)
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "o@example.test", role: .user)
            for path in ["/admin/settings", "/admin/diagnostics"] {
                let page = try await browser.get(path)
                #expect(page.status == .forbidden, "\(path)")
                #expect(page.html.contains("only admins can do this"), "\(path)")
            }
        }
    }

    @Test func settingRows_neverCarryASecret_andHidePasswordsInURLs() {
        let rows = TernConfig.settingRows { key in
            key == .databaseURL
                ? ("postgres://tern:hunter2-pw@db:5432/tern?sslpassword=hunter3-pw&sslmode=require", .environment)
                : ("hunter-\(key.rawValue)-value", .file(path: "/srv/tern.yaml", line: 4))
        }
        #expect(rows.count == ConfigKey.allCases.count)
        for row in rows where row.isSecret {
            #expect(row.value == "set", "\(row.key)")
        }
        let database = rows.first { $0.key == "TERN_DATABASE_URL" }
        #expect(database?.value == "postgres://tern:***@db:5432/tern?sslpassword=***&sslmode=require")
        #expect(database?.source == "environment")
        #expect(rows.first { $0.key == "TERN_PORT" }?.source == "/srv/tern.yaml:4")
        let empty = TernConfig.settingRows { ($0 == .secretKey ? "" : $0.defaultValue, .defaultValue) }
        #expect(empty.first { $0.key == "TERN_SECRET_KEY" }?.value == "not set")
    }

    /// A new key whose name sounds secret must be classified: a secret (masked on the Settings
    /// page) or, explicitly, not one.
    @Test func everySecretSoundingKey_isClassified() {
        for key in ConfigKey.allCases where ConfigKey.secretSoundingWords.contains(where: key.rawValue.contains) {
            #expect(
                key.isSecret || ConfigKey.notSecretDespiteName.contains(key),
                "\(key.rawValue) sounds secret: make ConfigKey.isSecret include it, or list it in notSecretDespiteName")
        }
        for key in [
            ConfigKey.llmAPIKey, .embeddingAPIKey, .apiKeys, .trustedProxyKeys, .openWebUIJWTSecret, .secretKey,
            .secretKeyPrevious, .telegramToken, .oidcClientSecret,
        ] {
            #expect(key.isSecret, "\(key.rawValue)")
        }
    }
}
