package import Foundation
import TernConfigFiles
package import TernCore

/// Loads skills in the Agent Skills format from a global directory and per-context overlay
/// directories.
///
/// In each directory a skill is either a folder `<name>/SKILL.md` or a flat file `<name>.md`.
/// Both start with YAML frontmatter between `---` lines:
///
/// ```markdown
/// ---
/// name: trip-planner              # folder form: required, equal to the folder name;
///                                 # flat form: optional, equal to the file stem
/// description: Plans trips.       # required, non-empty
/// allowed-tools: clock calculator # or a YAML list; `tools:` is accepted too
/// metadata:
///   model: big-model              # optional model override
///   max-turns: 8                  # optional positive tool-loop limit
/// ---
/// The instructions, in Markdown.
/// ```
///
/// Other frontmatter keys (`license`, `compatibility`, …) are ignored. A file that breaks any
/// rule, names a tool outside `knownTools` in its tool list, is larger than ``maxFileSize``, or
/// repeats a name already loaded from the same directory is reported as a ``SkillIssue`` (with
/// its 1-based file line where there is one) and skipped; the rest load. Hidden files and
/// folders (`.name`), `README.md`, and other non-`.md` files are ignored. Symbolic links are
/// reported and not followed, so an overlay directory cannot make Tern read files outside it.
///
/// Loading reads files synchronously: call it at start-up, not on an event loop.
package struct SkillLoader: Sendable {
    /// How a skill is laid out on disk.
    package enum Form: Sendable, Equatable {
        /// `<name>/SKILL.md`.
        case folder
        /// `<name>.md`.
        case flat
    }

    /// The default ``maxFileSize``, 256 KiB.
    package static let defaultMaxFileSize = 256 * 1024

    /// Largest skill file read, in bytes.
    package var maxFileSize: Int

    /// A loader that skips files larger than `maxFileSize` bytes.
    package init(maxFileSize: Int = defaultMaxFileSize) {
        self.maxFileSize = maxFileSize
    }

    /// Loads the global skills and each context's own.
    /// - Parameters:
    ///   - globalDirectory: skills every context sees; `nil` or a missing directory means none.
    ///   - contextDirectories: each context's overlay; a missing directory means none.
    ///   - knownTools: the names a skill's tool list may use.
    /// - Returns: global skills first, then each context's in context-ID order, plus every issue.
    package func load(
        globalDirectory: URL?, contextDirectories: [ContextID: URL], knownTools: Set<String>
    ) -> SkillLoadResult {
        var result = SkillLoadResult()
        if let globalDirectory {
            result.append(loadDirectory(globalDirectory, scope: .global, knownTools: knownTools))
        }
        for (context, directory) in contextDirectories.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            result.append(loadDirectory(directory, scope: .context(context), knownTools: knownTools))
        }
        return result
    }

    /// Loads the skills directly inside `directory`, in file-name order.
    package func loadDirectory(_ directory: URL, scope: Skill.Scope, knownTools: Set<String>) -> SkillLoadResult {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
            return SkillLoadResult()
        }
        guard isDirectory.boolValue else {
            return SkillLoadResult(issues: [SkillIssue(file: directory.path, message: "not a directory")])
        }
        let names: [String]
        do {
            names = try fileManager.contentsOfDirectory(atPath: directory.path)
        } catch {
            return SkillLoadResult(issues: [
                SkillIssue(file: directory.path, message: "cannot list: \(error.localizedDescription)")
            ])
        }
        var result = SkillLoadResult()
        var loaded: [String: String] = [:]  // name -> source, for duplicates
        for entry in names.sorted() where !entry.hasPrefix(".") {
            let url = directory.appendingPathComponent(entry)
            let outcome: SkillLoadResult
            switch kind(of: url) {
            case .directory:
                let file = url.appendingPathComponent("SKILL.md")
                guard kind(of: file) == .file else {
                    let problem = kind(of: file) == .symbolicLink ? "SKILL.md is a symbolic link" : "no SKILL.md"
                    result.issues.append(SkillIssue(file: url.path, message: "\(problem); skill folders need one"))
                    continue
                }
                outcome = loadFile(file, expectedName: entry, form: .folder, scope: scope, knownTools: knownTools)
            case .file where entry.lowercased().hasSuffix(".md") && entry.lowercased() != "readme.md":
                let stem = String(entry.dropLast(3))
                outcome = loadFile(url, expectedName: stem, form: .flat, scope: scope, knownTools: knownTools)
            case .symbolicLink:
                result.issues.append(SkillIssue(file: url.path, message: "symbolic links are not followed"))
                continue
            case .file, .other:
                continue
            }
            result.issues += outcome.issues
            for skill in outcome.skills {
                if let first = loaded[skill.name] {
                    result.issues.append(
                        SkillIssue(
                            file: skill.source, message: "duplicate skill name '\(skill.name)'; already loaded from \(first)"))
                } else {
                    loaded[skill.name] = skill.source
                    result.skills.append(skill)
                }
            }
        }
        return result
    }

    /// Parses the text of one skill file.
    /// - Parameter expectedName: the folder name (folder form) or file stem (flat form).
    package func parse(
        _ text: String, file: String, expectedName: String, form: Form, scope: Skill.Scope = .global,
        knownTools: Set<String>
    ) -> SkillLoadResult {
        var parser = SkillFileParser(
            file: file, expectedName: expectedName, form: form, scope: scope, knownTools: knownTools)
        let skill = parser.parse(text)
        return SkillLoadResult(skills: skill.map { [$0] } ?? [], issues: parser.problems.all)
    }

    private func loadFile(
        _ url: URL, expectedName: String, form: Form, scope: Skill.Scope, knownTools: Set<String>
    ) -> SkillLoadResult {
        func failure(_ message: String) -> SkillLoadResult {
            SkillLoadResult(issues: [SkillIssue(file: url.path, message: message)])
        }
        // Without a size, reading is attempted anyway and reports its own error.
        if let size = try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize, size > maxFileSize {
            return failure("file is \(size) bytes; skill files may have at most \(maxFileSize)")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            return failure("cannot read: \(error.localizedDescription)")
        }
        guard data.count <= maxFileSize else {  // It may have grown since the size check.
            return failure("file is \(data.count) bytes; skill files may have at most \(maxFileSize)")
        }
        guard let text = String(data: data, encoding: .utf8) else { return failure("not UTF-8 text") }
        return parse(text, file: url.path, expectedName: expectedName, form: form, scope: scope, knownTools: knownTools)
    }

    private enum EntryKind { case file, directory, symbolicLink, other }

    /// What `url` is, without following a symbolic link.
    private func kind(of url: URL) -> EntryKind {
        // A missing or unreadable entry is treated as "other", i.e. skipped or "no SKILL.md".
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path) else { return .other }
        switch attributes[.type] as? FileAttributeType {
        case .typeRegular: return .file
        case .typeDirectory: return .directory
        case .typeSymbolicLink: return .symbolicLink
        default: return .other
        }
    }
}
