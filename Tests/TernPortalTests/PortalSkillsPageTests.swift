import Foundation
import HTTPTypes
import TernApp
import TernCore
import Testing

/// The Skills page: the catalog's skills per readable context, a skill's file shown escaped, the
/// files that did not load, and the check form running the loader's parser.
@Suite struct PortalSkillsPageTests {
    static let tripPlanner = """
        ---
        name: trip-planner
        description: Plans trips & routes.
        allowed-tools: clock calculator
        ---
        Plan the trip. Never output <b>bold</b> HTML.
        """

    /// A skills folder with one good skill and one whose frontmatter has no description.
    static func skillsFolder() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tern-skills-\(UUID().uuidString)")
        for (name, text) in [("trip-planner", tripPlanner), ("broken", "---\nname: broken\n---\nNo description.\n")] {
            let folder = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try text.write(to: folder.appendingPathComponent("SKILL.md"), atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test func admin_seesSkillsPerContext_theirSource_andTheFilesThatFailed() async throws {
        let root = try Self.skillsFolder()
        defer { try? FileManager.default.removeItem(at: root) }  // best-effort temp cleanup
        try await LiveTern.run(environment: ["TERN_SKILLS_DIR": root.path]) { dependencies, client in
            let (owner, _) = try await dependencies.tenants.provisionUser(email: "o@example.test", displayName: "O", role: .user)
            let team = try await dependencies.tenants.createContext(name: "team", kind: .shared, owner: owner.id)
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "ada@example.test")
            let page = try await browser.get("/admin/skills")
            #expect(page.status == .ok)
            #expect(page.html.contains("<h2>team</h2>"))
            #expect(
                page.html.contains(
                    "<td><a href=\"/admin/skills/\(team.id.rawValue)/trip-planner\">trip-planner</a></td><td>global</td>"
                        + "<td>Plans trips &amp; routes.</td><td>clock, calculator</td>"))
            #expect(page.html.contains("Skill files that did not load"))
            #expect(page.html.contains("broken/SKILL.md"))
            #expect(page.html.contains("description"))
            #expect(page.html.contains("Nothing is saved"))

            let skill = try await browser.get("/admin/skills/\(team.id.rawValue)/trip-planner")
            #expect(skill.status == .ok)
            #expect(skill.html.contains("<pre class=\"source\">---\nname: trip-planner"))
            #expect(skill.html.contains("Never output &lt;b&gt;bold&lt;/b&gt; HTML."))
            #expect(!skill.html.contains("<b>bold</b>"))
            #expect(try await browser.get("/admin/skills/\(team.id.rawValue)/no-such-skill").status == .notFound)
        }
    }

    @Test func member_seesOnlyReadableContexts_andIsRefusedAnotherContextsSkill() async throws {
        let root = try Self.skillsFolder()
        defer { try? FileManager.default.removeItem(at: root) }  // best-effort temp cleanup
        try await LiveTern.run(environment: ["TERN_SKILLS_DIR": root.path]) { dependencies, client in
            let tenants = dependencies.tenants
            let (owner, _) = try await tenants.provisionUser(email: "o@example.test", displayName: "O", role: .user)
            let mine = try await tenants.createContext(name: "mine", kind: .shared, owner: owner.id)
            let other = try await tenants.createContext(name: "other", kind: .shared, owner: owner.id)
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "m@example.test", role: .user)
            _ = try await tenants.addMember(browser.user.id, to: mine.id, role: .member)
            let page = try await browser.get("/admin/skills")
            #expect(page.status == .ok)
            #expect(page.html.contains("<h2>mine</h2>"))
            #expect(!page.html.contains(">other<"), "another context is not named")
            #expect(!page.html.contains(other.id.rawValue))
            #expect(!page.html.contains("Skill files that did not load"), "file problems are for admins")
            let checkForm = try #require(page.html.firstMatch(of: #/Check a SKILL.md[\s\S]*?</form>/#)).output
            #expect(!checkForm.contains(mine.id.rawValue), "the check form offers only the contexts one owns")
            #expect(try await browser.get("/admin/skills/\(other.id.rawValue)/trip-planner").status == .forbidden)
            #expect(try await browser.get("/admin/skills?context=\(other.id.rawValue)").status == .forbidden)
            #expect(try await browser.get("/admin/skills/\(mine.id.rawValue)/trip-planner").status == .ok)
            let check = try await browser.post(
                "/admin/skills/check", ["context": mine.id.rawValue, "folder": "x", "text": Self.tripPlanner])
            #expect(check.status == .forbidden)
        }
    }

    @Test func check_showsTheParsersProblemWithItsLine_orTheParsedSkill() async throws {
        try await LiveTern.run { dependencies, client in
            let (owner, _) = try await dependencies.tenants.provisionUser(email: "o@example.test", displayName: "O", role: .user)
            let team = try await dependencies.tenants.createContext(name: "team", kind: .shared, owner: owner.id)
            let browser = try await PortalBrowser.signIn(dependencies, client, email: "o@example.test", role: .user)
            let invalid = "---\nname: trip-planner\ndescription: Plans.\nallowed-tools: clock teleport\n---\nGo.\n"
            let bad = try await browser.post(
                "/admin/skills/check", ["context": team.id.rawValue, "folder": "trip-planner", "text": invalid])
            #expect(bad.status == .ok)
            #expect(bad.html.contains("data-check=\"problems\""))
            #expect(bad.html.contains("<td>line 4</td>"), "the problem's line")
            #expect(bad.html.contains("teleport"))
            #expect(bad.html.contains("Nothing was saved"))

            let good = try await browser.post(
                "/admin/skills/check", ["context": team.id.rawValue, "folder": "trip-planner", "text": Self.tripPlanner])
            #expect(good.status == .ok)
            #expect(good.html.contains("data-check=\"valid\""))
            #expect(good.html.contains("<th scope=\"row\">Name</th><td>trip-planner</td>"))
            #expect(good.html.contains("<td>clock, calculator</td>"))

            let empty = try await browser.post(
                "/admin/skills/check", ["context": team.id.rawValue, "folder": "trip-planner", "text": " "])
            #expect(empty.status == .badRequest)
            #expect(empty.html.contains("Paste the SKILL.md text"))
            let noToken = try await browser.post(
                "/admin/skills/check", ["context": team.id.rawValue, "folder": "trip-planner", "text": Self.tripPlanner],
                csrf: .some(nil))
            #expect(noToken.status == .forbidden)
        }
    }
}
