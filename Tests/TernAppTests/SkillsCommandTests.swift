import ArgumentParser
import Foundation
import Testing

@testable import TernApp

/// `tern skills check` knows the tools the server offers, the memory tools included.
@Suite(.timeLimit(.minutes(1))) struct SkillsCommandTests {
    @Test func check_acceptsASkillThatUsesTheMemoryTools_andRefusesAnUnknownTool() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tern-skills-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let skills = root.appendingPathComponent("skills")
        func write(_ name: String, tools: String) throws {
            let folder = skills.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try "---\nname: \(name)\ndescription: Uses \(tools).\nallowed-tools: [\(tools)]\n---\nDo it.\n"
                .write(to: folder.appendingPathComponent("SKILL.md"), atomically: false, encoding: .utf8)
        }
        try write("notes", tools: "remember, recall, clock")
        // A config file, not the environment: other tests in this process load configurations.
        let config = root.appendingPathComponent("tern.yaml")
        try "skills_dir: \(skills.path)\n".write(to: config, atomically: false, encoding: .utf8)
        let arguments = ["--config", config.path, "--data-dir", root.appendingPathComponent("data").path]
        var check = try SkillsCommand.Check.parse(arguments)
        try await check.run()
        try write("shady", tools: "shell")
        check = try SkillsCommand.Check.parse(arguments)
        await #expect(throws: ExitCode(1)) { try await check.run() }
    }
}
