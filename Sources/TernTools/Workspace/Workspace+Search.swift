import Foundation
package import TernCore

/// What ``Workspace/search(_:under:caseSensitive:in:)`` found.
package struct WorkspaceSearchResult: Sendable, Equatable {
    /// One matching line.
    package struct Match: Sendable, Equatable {
        /// The file, relative to the workspace.
        package var path: String
        /// 1-based line number.
        package var line: Int
        /// The line, cut to ``WorkspaceSearchResult/maxLineCharacters`` characters.
        package var text: String

        /// Builds a match.
        package init(path: String, line: Int, text: String) {
            self.path = path
            self.line = line
            self.text = text
        }
    }

    /// Longer matching lines are cut (and end in `…`).
    package static let maxLineCharacters = 300

    /// Matching lines in path order, at most ``WorkspaceLimits/maxSearchMatches``.
    package var matches: [Match] = []
    /// Files read and searched.
    package var filesScanned = 0
    /// The search stopped at ``WorkspaceLimits/maxSearchMatches``.
    package var hitMatchLimit = false
    /// The search stopped at ``WorkspaceLimits/maxSearchFiles``.
    package var hitFileLimit = false
    /// Files over ``WorkspaceLimits/maxSearchFileBytes``, not searched.
    package var skippedLarge = 0
    /// Files that are not UTF-8 text, not searched.
    package var skippedBinary = 0
    /// Symbolic links, not followed.
    package var skippedLinks = 0
    /// FIFOs, sockets, devices, hard-linked files, names that are not UTF-8, and entries that
    /// changed while the search ran.
    package var skippedOther = 0
    /// Directories below ``WorkspaceLimits/maxSearchDepth``, not entered.
    package var skippedDeep = 0

    /// Whether the search stopped before the end of the tree.
    var isDone: Bool { hitMatchLimit || hitFileLimit }
}

extension Workspace {
    /// Lines containing `query` in the UTF-8 text files at or below `path`, walking directories
    /// in name order without following links and skipping everything but regular files.
    /// - Throws: ``WorkspaceError`` for an empty query or one with a line break, a path that
    ///   breaks a rule or has a link on it, a path that is a special file, or cancellation.
    package func search(
        _ query: String, under path: String = ".", caseSensitive: Bool = false, in context: ContextID
    ) async throws(WorkspaceError) -> WorkspaceSearchResult {
        guard !query.isEmpty else { throw .invalidQuery("the query is empty") }
        guard !query.contains(where: \.isNewline) else {
            throw .invalidQuery("the query contains a line break; search_files matches within one line")
        }
        let components = try Self.components(of: path)
        return try await BlockingWork.run { flag throws(WorkspaceError) in
            var search = TreeSearch(query: query, caseSensitive: caseSensitive, limits: limits, flag: flag)
            let base = try WorkspaceFileSystem.openContextDirectory(root: root, context: context)
            guard let name = components.last else {
                try search.walk(base, at: [], depth: 0)
                return search.result
            }
            let parent = try WorkspaceFileSystem.openDirectory(
                components, count: components.count - 1, from: base, create: false)
            let shown = Self.display(components)
            let status = try WorkspaceFileSystem.status(of: name, in: parent, shown: shown)
            if status.kind == .directory {
                let directory = try WorkspaceFileSystem.openDirectory(named: name, in: parent, shown: shown)
                try search.walk(directory, at: components, depth: 0)
            } else {
                try WorkspaceFileSystem.requireRegular(status, shown: shown)
                try search.scan(name, in: parent, at: components, status: status)
            }
            return search.result
        }
    }
}

/// The state of one search: a depth-first walk that holds one descriptor per level.
private struct TreeSearch {
    let query: String
    let caseSensitive: Bool
    let limits: WorkspaceLimits
    let flag: CancellationFlag
    var result = WorkspaceSearchResult()

    mutating func walk(_ directory: borrowing OwnedFD, at path: [String], depth: Int) throws(WorkspaceError) {
        let (names, undecodable) = try WorkspaceFileSystem.names(in: directory, shown: Workspace.display(path))
        result.skippedOther += undecodable
        for name in names.sorted() {
            try flag.check()
            guard !result.isDone else { return }
            let childPath = path + [name]
            let shown = Workspace.display(childPath)
            do throws(WorkspaceError) {
                let status = try WorkspaceFileSystem.status(of: name, in: directory, shown: shown)
                switch status.kind {
                case .directory:
                    guard depth < limits.maxSearchDepth else {
                        result.skippedDeep += 1
                        continue
                    }
                    let child = try WorkspaceFileSystem.openDirectory(named: name, in: directory, shown: shown)
                    try walk(child, at: childPath, depth: depth + 1)
                case .regular: try scan(name, in: directory, at: childPath, status: status)
                case .symlink: result.skippedLinks += 1
                case .other: result.skippedOther += 1
                case .missing: continue
                }
            } catch .cancelled {
                throw .cancelled
            } catch .symbolicLink {
                result.skippedLinks += 1  // Replaced by a link after the first look.
            } catch {
                result.skippedOther += 1  // Vanished or changed kind mid-walk; a search skips it.
            }
        }
    }

    mutating func scan(
        _ name: String, in directory: borrowing OwnedFD, at path: [String], status: EntryStatus
    ) throws(WorkspaceError) {
        guard status.size <= limits.maxSearchFileBytes else {
            result.skippedLarge += 1
            return
        }
        guard result.filesScanned < limits.maxSearchFiles else {
            result.hitFileLimit = true
            return
        }
        let shown = Workspace.display(path)
        let file = try WorkspaceFileSystem.openRegularFile(named: name, in: directory, shown: shown)
        let bytes = try WorkspaceFileSystem.readAll(
            file, limit: limits.maxSearchFileBytes, sizeHint: status.size, shown: shown)
        result.filesScanned += 1
        guard bytes.count <= limits.maxSearchFileBytes else {
            result.skippedLarge += 1
            return
        }
        guard !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) else {
            result.skippedBinary += 1
            return
        }
        // "\r\n" is one Character in Swift, so it is a separator of its own.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (index, line) in lines.enumerated() {
            guard matches(line) else { continue }
            result.matches.append(.init(path: shown, line: index + 1, text: Self.clipped(line)))
            if result.matches.count >= limits.maxSearchMatches {
                result.hitMatchLimit = true
                return
            }
        }
    }

    private func matches(_ line: Substring) -> Bool {
        caseSensitive ? line.contains(query) : line.range(of: query, options: .caseInsensitive) != nil
    }

    private static func clipped(_ line: Substring) -> String {
        let limit = WorkspaceSearchResult.maxLineCharacters
        return line.count > limit ? String(line.prefix(limit)) + "…" : String(line)
    }
}
