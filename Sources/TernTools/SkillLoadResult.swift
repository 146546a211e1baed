package import TernCore

/// What ``SkillLoader`` found: the skills that loaded and a ``SkillIssue`` for every file that
/// did not. One bad file never stops the others from loading.
package struct SkillLoadResult: Sendable, Equatable {
    /// Loaded skills: global ones first, then each context's, each group in file-name order.
    package var skills: [Skill]
    /// Files (or folders) that were skipped, with where and why.
    package var issues: [SkillIssue]

    /// Builds a result.
    package init(skills: [Skill] = [], issues: [SkillIssue] = []) {
        self.skills = skills
        self.issues = issues
    }

    /// Adds `other`'s skills and issues after this one's.
    package mutating func append(_ other: SkillLoadResult) {
        skills += other.skills
        issues += other.issues
    }
}
