import Foundation
package import TernHTTP

extension ConfigKey {
    /// Keys whose name sounds secret (it contains KEY, SECRET, TOKEN or PASSWORD) but whose
    /// value is not one. Every other such key must be ``isSecret``; a test fails when a new key
    /// is in neither list, so nobody adds a secret that the Settings page would print.
    package static let notSecretDespiteName: Set<ConfigKey> = []

    /// The words that make a key's name sound secret.
    package static let secretSoundingWords = ["KEY", "SECRET", "TOKEN", "PASSWORD"]
}

extension TernConfig {
    /// One row per ``ConfigKey``, in declaration order: a secret shows as "set" or "not set"
    /// (never the value or any part of it), a URL without the password of its user part or of
    /// its query, and each row says where the value came from.
    package static func settingRows(_ lookup: (ConfigKey) -> (value: String, source: ConfigSource)) -> [PortalSettingRow] {
        ConfigKey.allCases.map { key in
            let (raw, source) = lookup(key)
            let value =
                key.isSecret ? (raw.isEmpty ? "not set" : "set") : raw.contains("://") ? withoutPasswords(raw) : raw
            return PortalSettingRow(
                key: key.rawValue, yamlName: key.yamlName, value: value, source: describe(source, key), isSecret: key.isSecret)
        }
    }

    /// Where a value came from, as the Settings page names it.
    package static func describe(_ source: ConfigSource, _ key: ConfigKey) -> String {
        switch source {
        case .flag: "flag \(key.flagName)"
        case .environment: "environment"
        case .file(let path, let line): "\(path)\(line.map { ":\($0)" } ?? "")"
        case .defaultValue: "default"
        }
    }

    /// `postgres://tern:pw@host/db?sslpassword=x` → `postgres://tern:***@host/db?sslpassword=***`.
    /// Text that does not parse as a URL keeps nothing between `://` and the last `@`.
    package static func withoutPasswords(_ raw: String) -> String {
        guard var parts = URLComponents(string: raw) else { return ValueReader.withoutCredentials(raw) }
        if parts.password != nil { parts.password = "***" }
        parts.queryItems = parts.queryItems?.map { item in
            let name = item.name.uppercased()
            let secret = ConfigKey.secretSoundingWords.contains { name.contains($0) } || name.contains("PASS")
            return secret ? URLQueryItem(name: item.name, value: "***") : item
        }
        return parts.string ?? ValueReader.withoutCredentials(raw)
    }
}
