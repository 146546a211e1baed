import Crypto
import Foundation
import TernCore

/// How an MCP server's tools are named for the model: `<server>__<tool>`, sanitised to
/// `^[a-zA-Z0-9_-]{1,64}$`.
///
/// Bytes outside the rule become `_`; a name longer than 64 bytes is cut. When sanitising
/// changed a name (or cut it), it ends in `-` and six hex digits of the SHA-256 of the server's
/// own tool name, so two tools whose names sanitise alike ("a.b" and "a b") still differ, and a
/// tool keeps its name whatever other tools the server lists or in which order. A name that
/// needed no change keeps it exactly. A remaining clash (a tool literally named like another's
/// hashed form) is resolved by the order of the server's own names: the first keeps the name,
/// later ones get `-2`, `-3`, ….
package enum MCPToolNaming {
    /// The agent-facing names for `toolNames` of `server`, in the same order.
    package static func exposedNames(server: String, toolNames: [String]) -> [String] {
        let candidates = toolNames.map { candidate(server: server, tool: $0) }
        // Who keeps a clashing name depends on the tool names, not on the order of the list.
        let order = toolNames.indices.sorted { toolNames[$0].utf8.lexicographicallyPrecedes(toolNames[$1].utf8) }
        var taken: Set<String> = []
        var result = candidates
        for index in order {
            var name = candidates[index]
            var attempt = 2
            while taken.contains(name) {
                name = fitted(candidates[index], suffix: "-\(attempt)")
                attempt += 1
            }
            taken.insert(name)
            result[index] = name
        }
        return result
    }

    /// The name of one tool before clashes with other tools are considered.
    package static func candidate(server: String, tool: String) -> String {
        let raw = server + "__" + tool
        let cleaned = String(decoding: raw.utf8.map { ToolSpec.isNameByte($0) ? $0 : UInt8(ascii: "_") }, as: UTF8.self)
        if cleaned == raw, raw.utf8.count <= 64 {
            return raw
        }
        let digest = lowercaseHex(SHA256.hash(data: Data(tool.utf8)).prefix(3))
        return fitted(cleaned, suffix: "-" + digest)
    }

    private static func fitted(_ name: String, suffix: String) -> String {
        let room = 64 - suffix.utf8.count
        let base = name.utf8.count > room ? String(decoding: name.utf8.prefix(room), as: UTF8.self) : name
        return base + suffix
    }
}
