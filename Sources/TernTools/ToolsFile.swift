import Foundation
import TernConfigFiles
package import TernCore

/// The parsed `tools.yaml`: which built-in tools are on, their settings, the default permission
/// and the tools that always need a human's approval.
///
/// ```yaml
/// default_permission: allow      # or deny; optional, default allow
/// require_approval: [shell]      # optional
/// tools:
///   calculator:
///     enabled: true              # optional, default true
///     settings: {}               # optional mapping, passed to the tool
///   clock:
///     settings: {timezone: Europe/Berlin}
/// ```
///
/// An empty file (or one with only comments) means the defaults. Tools not listed are enabled
/// with no settings.
package struct ToolsFile: Sendable, Equatable {
    /// One tool's entry under `tools:`.
    package struct Entry: Sendable, Equatable {
        /// `enabled:`; a disabled tool is not registered at all.
        package var enabled: Bool
        /// `settings:`, free-form, for the tool to interpret.
        package var settings: [String: JSONValue]

        /// Builds an entry.
        package init(enabled: Bool = true, settings: [String: JSONValue] = [:]) {
            self.enabled = enabled
            self.settings = settings
        }
    }

    /// The top-level keys a `tools.yaml` may have.
    package static let topLevelKeys = ["default_permission", "require_approval", "tools"]
    /// The keys a tool entry may have.
    package static let entryKeys = ["enabled", "settings"]
    /// Most YAML nodes converted into settings, so aliases cannot blow a small file up.
    package static let settingsNodeLimit = 10_000

    /// `default_permission:`: whether a context may use a tool it has no explicit permission for.
    package var defaultPermission: ToolPermission
    /// `require_approval:`: tool names that always need human approval, whatever their risk.
    package var requireApproval: Set<String>
    /// `tools:`, by tool name.
    package var tools: [String: Entry]

    /// A tools file with the given values; the defaults are those of an empty file.
    package init(
        defaultPermission: ToolPermission = .allow, requireApproval: Set<String> = [],
        tools: [String: Entry] = [:]
    ) {
        self.defaultPermission = defaultPermission
        self.requireApproval = requireApproval
        self.tools = tools
    }

    /// Names of the tools switched off with `enabled: false`.
    package var disabledTools: Set<String> {
        Set(tools.filter { !$0.value.enabled }.keys)
    }

    /// The settings of `tool`; empty when it has none.
    package func settings(for tool: String) -> [String: JSONValue] {
        tools[tool]?.settings ?? [:]
    }

    /// Parses the text of a `tools.yaml`.
    /// - Parameter file: the name used in problems, usually the path.
    /// - Throws: ``ToolsFileError`` listing every problem with its line: bad YAML, unknown keys,
    ///   wrong types, invalid tool names, a `default_permission` other than `allow`/`deny`.
    package static func parse(_ yaml: String, file: String) throws(ToolsFileError) -> ToolsFile {
        var parser = ToolsFileParser(file: file)
        let parsed = parser.parse(yaml)
        guard parser.problems.isEmpty else { throw ToolsFileError(problems: parser.problems.all) }
        return parsed
    }

    /// Reads and parses the file at `path`.
    /// - Throws: ``ToolsFileError`` when the file cannot be read (including when it does not
    ///   exist: callers for whom the file is optional check first) or does not parse.
    package static func load(path: String) throws(ToolsFileError) -> ToolsFile {
        try parse(ConfigFileError.readText(of: path), file: path)
    }
}
