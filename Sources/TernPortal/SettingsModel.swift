import TernHTTP

/// The Settings page's model: the configuration as loaded at start, one row per key, secrets
/// already reduced to "set" / "not set" by the composition root (the values never reach the
/// portal).
struct SettingsModel: Sendable {
    struct Row: Sendable {
        let key: String
        let yamlName: String
        let value: String
        let source: String
        let isSecret: Bool
        let isDefault: Bool
        let isEmpty: Bool
    }

    let rows: [Row]
    let isEmpty: Bool
    let setCount: Int

    init(_ settings: [PortalSettingRow]) {
        rows = settings.map { row in
            Row(
                key: row.key, yamlName: row.yamlName, value: row.value, source: row.source, isSecret: row.isSecret,
                isDefault: row.source == "default", isEmpty: row.value.isEmpty)
        }
        isEmpty = rows.isEmpty
        setCount = rows.count { !$0.isDefault }
    }
}
