import Foundation

/// A skill in the open Agent Skills format: instructions the agent follows with a scoped set of
/// tools. Loaded from `skills/<name>/SKILL.md` (or a flat `<name>.md`) by a ``SkillCatalog``.
package struct Skill: Sendable, Equatable {
    /// Where a skill comes from; a context's own skill overrides a global one of the same name.
    package enum Scope: Sendable, Equatable {
        case global
        case context(ContextID)
    }

    /// Matches ``isValidName(_:)`` and the folder (or file) name.
    package var name: String
    /// What the skill does; the router picks skills by it.
    package var description: String
    /// The hard ceiling of tools: only these are ever offered while the skill runs, and a call
    /// to any other is refused. Empty means the skill gets no tools.
    package var allowedTools: [String]
    /// Model override (`metadata.model`).
    package var model: String?
    /// Tool-loop limit override (`metadata.max-turns`).
    package var maxTurns: Int?
    /// The Markdown body: the instructions.
    package var instructions: String
    /// The file it was loaded from, for messages.
    package var source: String
    package var scope: Scope

    package init(
        name: String, description: String, allowedTools: [String] = [], model: String? = nil,
        maxTurns: Int? = nil, instructions: String, source: String, scope: Scope = .global
    ) {
        self.name = name
        self.description = description
        self.allowedTools = allowedTools
        self.model = model
        self.maxTurns = maxTurns
        self.instructions = instructions
        self.source = source
        self.scope = scope
    }

    /// The Agent Skills name rule: 1–64 of `a-z`, `0-9` and `-`, not starting or ending with
    /// `-`, no `--`.
    package static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-")
        else { return false }
        var previous: UInt8 = 0
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): break
            case UInt8(ascii: "-") where previous != UInt8(ascii: "-"): break
            default: return false
            }
            previous = byte
        }
        return true
    }
}

/// A skill file that could not be loaded, with where and why.
package typealias SkillIssue = FileProblem

/// The skills a context can use: the global ones overlaid by the context's own.
package protocol SkillCatalog: Sendable {
    /// Skills available in `context`, by name.
    func skills(for context: ContextID) async -> [String: Skill]
}
