import Foundation
import Testing
import TernCore
import TernTools

/// A fresh directory under the system's temporary directory, removed when `body` ends.
private func withTemporaryDirectory(_ body: (URL) async throws -> Void) async throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("tern-skills-\(UUID())")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: root) }
    try await body(root)
}

/// Writes `text` to `path` under `root`, creating folders on the way.
private func write(_ text: String, _ path: String, in root: URL) throws {
    let url = root.appendingPathComponent(path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try text.write(to: url, atomically: true, encoding: .utf8)
}

private func skill(_ name: String?, _ description: String, tools: String = "") -> String {
    var lines = ["---"]
    if let name { lines.append("name: \(name)") }
    lines.append("description: \(description)")
    if !tools.isEmpty { lines.append("allowed-tools: \(tools)") }
    lines += ["---", "Instructions for \(name ?? "it")."]
    return lines.joined(separator: "\n")
}

@Suite struct SkillLoaderTests {
    let known: Set<String> = ["clock", "calculator"]
    let team: ContextID = "team"
    let other: ContextID = "other"

    @Test func load_skipsBadFilesAndLoadsTheRest() async throws {
        try await withTemporaryDirectory { root in
            let global = root.appendingPathComponent("skills")
            try write(skill("trip", "Plans trips.", tools: "[clock]"), "skills/trip/SKILL.md", in: root)
            try write(skill(nil, "Does sums.", tools: "calculator"), "skills/sums.md", in: root)
            try write(skill("sums", "A second sums."), "skills/sums/SKILL.md", in: root)
            try write(skill("broken", ""), "skills/broken/SKILL.md", in: root)
            try write(skill("shady", "Runs commands.", tools: "[shell]"), "skills/shady.md", in: root)
            try write(skill("hidden", ""), "skills/.hidden/SKILL.md", in: root)
            try write(skill(nil, ""), "skills/.secret.md", in: root)
            try write("Not a skill.", "skills/notes.txt", in: root)
            try write("# About these skills", "skills/README.md", in: root)
            try FileManager.default.createDirectory(
                at: global.appendingPathComponent("empty"), withIntermediateDirectories: true)
            try write(
                "---\nname: huge\ndescription: Big.\n---\n" + String(repeating: "x", count: 300 * 1024),
                "skills/huge.md", in: root)

            let result = SkillLoader().load(globalDirectory: global, contextDirectories: [:], knownTools: known)

            #expect(result.skills.map(\.name) == ["sums", "trip"])
            #expect(result.skills.allSatisfy { $0.scope == .global })
            #expect(result.skills.first?.source == global.appendingPathComponent("sums/SKILL.md").path)
            let issues = result.issues.map { (URL(fileURLWithPath: $0.file).lastPathComponent, $0.line, $0.message) }
            #expect(issues.count == 5, "\(result.issues)")
            #expect(issues.contains { $0.0 == "SKILL.md" && $0.1 == 3 && $0.2.contains("description must be") })
            #expect(issues.contains { $0.0 == "empty" && $0.2.contains("no SKILL.md") })
            #expect(issues.contains { $0.0 == "huge.md" && $0.2.contains("at most 262144") })
            #expect(issues.contains { $0.0 == "shady.md" && $0.1 == 4 && $0.2.contains("unknown tool 'shell'") })
            #expect(issues.contains { $0.0 == "sums.md" && $0.2.contains("duplicate skill name 'sums'") })
        }
    }

    @Test func catalog_contextSkillOverridesGlobal() async throws {
        try await withTemporaryDirectory { root in
            try write(skill("trip", "Global trips."), "global/trip/SKILL.md", in: root)
            try write(skill("notes", "Global notes."), "global/notes.md", in: root)
            try write(skill("trip", "Team trips.", tools: "clock"), "team/trip.md", in: root)
            try write(skill("standup", "Team standups."), "team/standup/SKILL.md", in: root)

            let result = SkillLoader().load(
                globalDirectory: root.appendingPathComponent("global"),
                contextDirectories: [
                    team: root.appendingPathComponent("team"), other: root.appendingPathComponent("absent"),
                ],
                knownTools: known)
            #expect(result.issues.isEmpty)
            let catalog = StaticSkillCatalog(result)

            let teamSkills = await catalog.skills(for: team)
            #expect(teamSkills.keys.sorted() == ["notes", "standup", "trip"])
            #expect(teamSkills["trip"]?.description == "Team trips.")
            #expect(teamSkills["trip"]?.scope == .context(team))
            #expect(teamSkills["trip"]?.allowedTools == ["clock"])
            #expect(teamSkills["notes"]?.scope == .global)

            let otherSkills = await catalog.skills(for: other)
            #expect(otherSkills.keys.sorted() == ["notes", "trip"])
            #expect(otherSkills["trip"]?.description == "Global trips.")
        }
    }

    @Test func load_treatsMissingDirectoriesAsEmpty() async throws {
        try await withTemporaryDirectory { root in
            let loader = SkillLoader()
            let missing = loader.load(
                globalDirectory: root.appendingPathComponent("nope"),
                contextDirectories: [team: root.appendingPathComponent("nope-either")], knownTools: known)
            #expect(missing == SkillLoadResult())
            #expect(loader.load(globalDirectory: nil, contextDirectories: [:], knownTools: known) == SkillLoadResult())
        }
    }

    @Test func load_reportsAFileGivenAsDirectory() async throws {
        try await withTemporaryDirectory { root in
            try write("x", "skills", in: root)
            let path = root.appendingPathComponent("skills")
            let result = SkillLoader().load(globalDirectory: path, contextDirectories: [:], knownTools: known)
            #expect(result == SkillLoadResult(issues: [SkillIssue(file: path.path, message: "not a directory")]))
        }
    }

    @Test func load_doesNotFollowSymbolicLinks() async throws {
        try await withTemporaryDirectory { root in
            try write(skill("outside", "Outside the overlay."), "elsewhere/outside.md", in: root)
            try FileManager.default.createDirectory(
                at: root.appendingPathComponent("team"), withIntermediateDirectories: true)
            let link = root.appendingPathComponent("team/outside.md")
            try FileManager.default.createSymbolicLink(
                at: link, withDestinationURL: root.appendingPathComponent("elsewhere/outside.md"))

            let result = SkillLoader().load(
                globalDirectory: nil, contextDirectories: [team: root.appendingPathComponent("team")], knownTools: known)
            #expect(result.skills.isEmpty)
            #expect(result.issues == [SkillIssue(file: link.path, message: "symbolic links are not followed")])
        }
    }
}
