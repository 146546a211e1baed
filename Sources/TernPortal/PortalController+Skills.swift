import Foundation
import Hummingbird
import Logging
import TernAgent
import TernCore
import TernHTTP

extension PortalController {
    /// The most contexts the Skills page lists (by name).
    static let skillContextsLimit = 200
    /// The largest skill file shown, as the loader's own limit (256 KiB).
    static let skillFileLimit = 256 * 1024

    /// `GET /admin/skills?context=`: the skills in effect in each readable context (or the one
    /// asked for), the files that failed to load (admins), and the check form.
    @Sendable func skillsPage(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await page(request, context) { visit in
            let readable = try await portal.queries.contexts(
                visit.scope, search: nil, after: nil, limit: Self.skillContextsLimit
            ).rows.map(\.context)
            let asked = Self.queryValue(request, "context")
            var shown = readable
            if !asked.isEmpty {
                try visit.require(.readContext, in: ContextID(asked))
                shown = readable.filter { $0.id.rawValue == asked }
                if shown.isEmpty, let found = try await tenants.context(ContextID(asked)) { shown = [found] }
                if shown.isEmpty { throw PortalFailure.notFound("context \(asked)") }
            }
            var skills: [(Context, [Skill])] = []
            for found in shown { skills.append((found, await agent.skills(in: found.id))) }
            let model = SkillsModel(
                contexts: readable, selected: asked.isEmpty ? nil : ContextID(asked), skills: skills,
                issues: visit.isAdmin ? portal.skills.issues : nil, checkContexts: checkable(readable, visit),
                checkAvailable: portal.skills.check != nil)
            return PortalPage.render("skills", title: "Skills", model: model, visit: visit, section: "Skills")
        }
    }

    /// `GET /admin/skills/{context}/{name}`: the skill as loaded and its file's text, escaped.
    @Sendable func skillPage(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await page(request, context) { visit in
            let id = ContextID(try context.parameters.require("context"))
            let name = try context.parameters.require("name")
            try visit.require(.readContext, in: id)
            guard let found = try await tenants.context(id) else { throw PortalFailure.notFound("context \(id)") }
            guard let skill = await agent.skills(in: id).first(where: { $0.name == name }) else {
                throw PortalFailure.notFound("skill '\(name)' in context \(found.name)")
            }
            var text = ""
            var readError = ""
            do {
                text = try Self.readSkillFile(skill.source)
            } catch {
                context.logger.warning("skill file not readable", metadata: ["file": "\(skill.source)", "error": "\(error)"])
                readError = "The file could not be read now: \(error)"
            }
            let model = SkillModel(
                contextID: id.rawValue, contextName: found.name, row: SkillsModel.row(skill, in: id),
                model: skill.model ?? "the context's default", maxTurns: skill.maxTurns.map(String.init) ?? "the server's default",
                text: text, readError: readError)
            return PortalPage.render("skill", title: "Skill \(skill.name)", model: model, visit: visit, section: "Skills")
        }
    }

    /// `POST /admin/skills/check` (context, folder, text): admins and the context's owners. Runs
    /// the loader's parser on the pasted text; nothing is saved.
    @Sendable func checkSkill(_ request: Request, context: TernRequestContext) async throws -> Response {
        try await action(request, context) { visit, form in
            let id = ContextID(try form.require("context", label: "The context"))
            try visit.require(.manageMembers, in: id)
            let folder = try form.require("folder", label: "The skill's folder name")
            guard let text = form.fields["text"], !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw PortalFailure.invalid("Paste the SKILL.md text to check.")
            }
            guard let check = portal.skills.check else {
                throw PortalFailure(.serviceUnavailable, "This server has no skill loader to check with.")
            }
            let result = check(text, folder)
            let readable = try await portal.queries.contexts(
                visit.scope, search: nil, after: nil, limit: Self.skillContextsLimit
            ).rows.map(\.context)
            let model = SkillCheckModel(
                (result.skill, result.problems), context: id, folder: folder, text: text,
                checkContexts: checkable(readable, visit))
            return PortalPage.render(
                "skill-check", title: model.valid ? "SKILL.md is valid" : "SKILL.md has problems", model: model,
                visit: visit, section: "Skills")
        }
    }

    /// The contexts among `contexts` whose skills the visitor may check.
    func checkable(_ contexts: [Context], _ visit: PortalVisit) -> [Context] {
        contexts.filter { visit.refusal(.manageMembers, in: $0.id) == nil }
    }

    /// The text of a skill file, at most ``skillFileLimit`` bytes.
    static func readSkillFile(_ path: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard data.count <= skillFileLimit else {
            throw PortalFailure(.contentTooLarge, "the file is \(data.count) bytes, more than skill files may have")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
