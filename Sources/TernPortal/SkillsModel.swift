import Foundation
import TernCore

/// The Skills page's model: per readable context the skills in effect (the catalog the agent
/// uses), the files that failed to load (admins), and the check form.
struct SkillsModel: Sendable {
    struct Option: Sendable {
        let id: String
        let name: String
        let selected: Bool
    }

    struct SkillRow: Sendable {
        let name: String
        let scope: String
        let description: String
        let tools: String
        let source: String
        let href: String
    }

    struct ContextSkills: Sendable {
        let id: String
        let name: String
        let rows: [SkillRow]
        let isEmpty: Bool
    }

    struct Issue: Sendable {
        let file: String
        let line: String
        let message: String
    }

    let contexts: [Option]
    let sections: [ContextSkills]
    let noContexts: Bool
    let showIssues: Bool
    let issues: [Issue]
    let noIssues: Bool
    /// The contexts whose skills the visitor may check (admins: all; else those they own).
    let checkContexts: [Option]
    let canCheck: Bool
    let checkAvailable: Bool

    init(
        contexts: [Context], selected: ContextID?, skills: [(Context, [Skill])], issues: [FileProblem]?,
        checkContexts: [Context], checkAvailable: Bool
    ) {
        self.contexts = contexts.map { Option(id: $0.id.rawValue, name: $0.name, selected: $0.id == selected) }
        sections = skills.map { context, skills in
            let rows = skills.map { Self.row($0, in: context.id) }
            return ContextSkills(id: context.id.rawValue, name: context.name, rows: rows, isEmpty: rows.isEmpty)
        }
        noContexts = contexts.isEmpty
        showIssues = issues != nil
        self.issues = (issues ?? []).map { Issue(file: $0.file, line: $0.line.map(String.init) ?? "–", message: $0.message) }
        noIssues = self.issues.isEmpty
        self.checkContexts = checkContexts.map { Option(id: $0.id.rawValue, name: $0.name, selected: $0.id == selected) }
        canCheck = !checkContexts.isEmpty
        self.checkAvailable = checkAvailable
    }

    static func row(_ skill: Skill, in context: ContextID) -> SkillRow {
        SkillRow(
            name: skill.name, scope: scope(skill), description: skill.description, tools: tools(skill), source: skill.source,
            href: "/admin/skills/\(context.rawValue)/\(skill.name)")
    }

    static func scope(_ skill: Skill) -> String {
        if case .context = skill.scope { return "context" }
        return "global"
    }

    static func tools(_ skill: Skill) -> String {
        skill.allowedTools.isEmpty ? "no tools" : skill.allowedTools.joined(separator: ", ")
    }
}

/// One skill's page: what the loader parsed and the file's text, shown escaped.
struct SkillModel: Sendable {
    let contextID: String
    let contextName: String
    let row: SkillsModel.SkillRow
    let model: String
    let maxTurns: String
    let text: String
    /// Why the file could not be read now; empty when it was.
    let readError: String
    /// Stored for the template: Mustache treats an empty string as true.
    let hasReadError: Bool

    init(
        contextID: String, contextName: String, row: SkillsModel.SkillRow, model: String, maxTurns: String, text: String, readError: String
    ) {
        self.contextID = contextID
        self.contextName = contextName
        self.row = row
        self.model = model
        self.maxTurns = maxTurns
        self.text = text
        self.readError = readError
        hasReadError = !readError.isEmpty
    }
}

/// The answer of the check form: the problems with their lines, or the parsed skill.
struct SkillCheckModel: Sendable {
    struct Problem: Sendable {
        let line: String
        let message: String
    }

    let contextID: String
    let folder: String
    let text: String
    let valid: Bool
    let problems: [Problem]
    let name: String
    let description: String
    let tools: String
    let checkContexts: [SkillsModel.Option]

    init(_ result: (skill: Skill?, problems: [FileProblem]), context: ContextID, folder: String, text: String, checkContexts: [Context]) {
        contextID = context.rawValue
        self.folder = folder
        self.text = text
        valid = result.problems.isEmpty && result.skill != nil
        problems = result.problems.map { Problem(line: $0.line.map { "line \($0)" } ?? "file", message: $0.message) }
        name = result.skill?.name ?? ""
        description = result.skill?.description ?? ""
        tools = result.skill.map(SkillsModel.tools) ?? ""
        self.checkContexts = checkContexts.map { .init(id: $0.id.rawValue, name: $0.name, selected: $0.id == context) }
    }
}
