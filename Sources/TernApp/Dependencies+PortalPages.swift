import Foundation
import TernAgent
import TernCore
import TernHTTP
import TernStore
import TernTools

extension PortalDependencies {
    /// Adds what the Skills, Diagnostics and Settings pages read: the skill files that did not
    /// load and the loader's own check for pasted text (against the same built-in tool names the
    /// loader used at start), the configuration snapshot, and the schema version.
    mutating func addSystemPages(config: TernConfig, database: any DatabaseHandle, tooling: AgentTooling) {
        // Dependencies.makeTooling builds the catalog as a StaticSkillCatalog and puts the
        // built-in registry first; tests that swap either simply get no issue list / no names.
        let issues = (tooling.skills as? StaticSkillCatalog)?.issues ?? []
        let known = Set(tooling.sources.compactMap { $0 as? ToolRegistry }.first?.names ?? [])
        skills = PortalSkills(
            issues: issues,
            check: { text, folder in
                let result = SkillLoader().parse(
                    text, file: "SKILL.md", expectedName: folder, form: .folder, knownTools: known)
                return PortalSkillCheck(skill: result.skills.first, problems: result.issues)
            })
        settings = config.settings
        schemaVersion = { try await SchemaVersion.current(database) }
    }
}
