package import TernCore

/// A ``SkillCatalog`` over skills loaded once (by ``SkillLoader``, at start-up): a context sees
/// the global skills overlaid by its own, so a context's skill replaces a global one of the
/// same name.
package struct StaticSkillCatalog: SkillCatalog {
    /// The files that did not load, for start-up logs and the admin API.
    package let issues: [SkillIssue]
    private let global: [String: Skill]
    private let byContext: [ContextID: [String: Skill]]

    /// A catalog of `skills`, grouped by their ``Skill/scope``. Should two skills share a name
    /// and scope, the later one wins.
    package init(skills: [Skill], issues: [SkillIssue] = []) {
        var global: [String: Skill] = [:]
        var byContext: [ContextID: [String: Skill]] = [:]
        for skill in skills {
            switch skill.scope {
            case .global: global[skill.name] = skill
            case .context(let context): byContext[context, default: [:]][skill.name] = skill
            }
        }
        self.global = global
        self.byContext = byContext
        self.issues = issues
    }

    /// A catalog of the skills in `result`, keeping its issues.
    package init(_ result: SkillLoadResult) {
        self.init(skills: result.skills, issues: result.issues)
    }

    /// The global skills, with `context`'s own replacing any of the same name.
    package func skills(for context: ContextID) async -> [String: Skill] {
        global.merging(byContext[context] ?? [:]) { _, own in own }
    }
}
