import Foundation
import TernCore

/// Cuts a document into chunks for memory: markdown (and HTML, once turned into text) at
/// headings and then paragraphs, plain text at paragraphs, source files at blank-line blocks.
/// Every chunk holds at most ``maxCharacters``; a section cut into several pieces repeats the
/// last ``overlap`` characters of the previous piece (from a word or line start) and its
/// heading, so a fact that straddles a cut is still found whole in one of them.
package struct Chunker: Sendable {
    /// The size cap of a chunk, in characters.
    package var maxCharacters: Int
    /// Characters of the previous piece repeated at the start of the next one in a section.
    package var overlap: Int

    /// - Parameters:
    ///   - maxCharacters: at least 200.
    ///   - overlap: at most a quarter of `maxCharacters`.
    package init(maxCharacters: Int = 1200, overlap: Int = 150) {
        self.maxCharacters = max(200, maxCharacters)
        self.overlap = min(max(0, overlap), self.maxCharacters / 4)
    }

    /// The chunks of `text`, in order; none for a text with nothing but white space.
    package func chunks(of text: String, format: DocumentFormat) -> [String] {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        switch format {
        case .markdown:
            return sections(ofMarkdown: normalized).flatMap { pieces(of: $0, source: false) }
        case .html:
            let page = HTMLText.convert(normalized)
            var body = page.text
            if let title = page.title, !body.hasPrefix("# ") { body = "# \(title)\n\n" + body }
            return sections(ofMarkdown: body).flatMap { pieces(of: $0, source: false) }
        case .text:
            return pieces(of: Section(heading: nil, body: normalized), source: false)
        case .source:
            return pieces(of: Section(heading: nil, body: normalized), source: true)
        }
    }

    struct Section {
        var heading: String?
        var body: String
    }

    /// Markdown split before each ATX heading (`#` … `######`) outside fenced code.
    func sections(ofMarkdown text: String) -> [Section] {
        var sections: [Section] = []
        var heading: String?
        var lines: [Substring] = []
        var fence: Substring?
        func close() {
            let content = lines.filter { !$0.allSatisfy(\.isWhitespace) }
            // A heading with nothing under it (a title over subsections) goes with the next section.
            if !content.isEmpty, content.allSatisfy({ Self.isHeading($0.drop { $0 == " " }) }) { return }
            let body = lines.joined(separator: "\n")
            if !body.allSatisfy(\.isWhitespace) { sections.append(Section(heading: heading, body: body)) }
            lines = []
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if let open = fence {
                if trimmed.hasPrefix(open) { fence = nil }
            } else if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                fence = trimmed.prefix(3)
            } else if Self.isHeading(trimmed) {
                close()
                heading = String(trimmed)
            }
            lines.append(line)
        }
        close()
        return sections
    }

    static func isHeading(_ line: Substring) -> Bool {
        let hashes = line.prefix { $0 == "#" }.count
        guard (1...6).contains(hashes) else { return false }
        let rest = line.dropFirst(hashes)
        return rest.isEmpty || rest.first == " " || rest.first == "\t"
    }

    /// One section as chunks: whole when it fits, else paragraphs packed up to the cap.
    func pieces(of section: Section, source: Bool) -> [String] {
        let body = section.body.trimmingCharacters(in: Self.trimmed(atLines: source))
        guard !body.allSatisfy(\.isWhitespace) else { return [] }
        if body.count <= maxCharacters { return [body] }
        // Later pieces start with the heading and the overlap, so they get less new text.
        let headingPrefix = section.heading.map { String($0.prefix(maxCharacters / 4)) + "\n\n" } ?? ""
        let budget = max(maxCharacters / 2, maxCharacters - overlap - headingPrefix.count - 2)
        var packed: [String] = []
        var current = ""
        for block in blocks(of: body) {
            for part in block.count > budget ? split(block, budget: budget, atLines: source) : [block] {
                if current.isEmpty {
                    current = part
                } else if current.count + 2 + part.count <= budget {
                    current += "\n\n" + part
                } else {
                    packed.append(current)
                    current = part
                }
            }
        }
        if !current.isEmpty { packed.append(current) }
        var result: [String] = []
        for (index, piece) in packed.enumerated() {
            guard index > 0 else {
                result.append(piece)
                continue
            }
            let prefix = piece.hasPrefix(headingPrefix.trimmingCharacters(in: .whitespacesAndNewlines)) ? "" : headingPrefix
            let room = min(overlap, maxCharacters - prefix.count - piece.count - 2)
            let carried = tail(of: packed[index - 1], length: room, atLines: source)
            result.append(prefix + (carried.isEmpty ? "" : carried + "\n\n") + piece)
        }
        return result
    }

    /// Paragraphs: runs of lines between blank lines.
    func blocks(of body: String) -> [String] {
        var blocks: [String] = []
        var lines: [Substring] = []
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.allSatisfy(\.isWhitespace) {
                if !lines.isEmpty { blocks.append(lines.joined(separator: "\n")) }
                lines = []
            } else {
                lines.append(line)
            }
        }
        if !lines.isEmpty { blocks.append(lines.joined(separator: "\n")) }
        return blocks
    }

    /// A block longer than `budget` cut into pieces of at most `budget` characters, each cut at
    /// the last line end (source) or white space (prose) in its second half, else hard.
    func split(_ block: String, budget: Int, atLines: Bool) -> [String] {
        let characters = Array(block)
        var pieces: [String] = []
        var start = 0
        while start < characters.count {
            var end = min(start + budget, characters.count)
            if end < characters.count {
                let floor = start + budget / 2
                var cut = end
                while cut > floor, !Self.isBreak(characters[cut - 1], atLines: atLines) { cut -= 1 }
                if cut > floor { end = cut }
            }
            let piece = String(characters[start..<end]).trimmingCharacters(in: Self.trimmed(atLines: atLines))
            if !piece.isEmpty { pieces.append(piece) }
            start = end
        }
        return pieces
    }

    /// What is cut off a piece's ends: source keeps its indentation.
    static func trimmed(atLines: Bool) -> CharacterSet {
        atLines ? .newlines : .whitespacesAndNewlines
    }

    static func isBreak(_ character: Character, atLines: Bool) -> Bool {
        atLines ? character == "\n" : character.isWhitespace
    }

    /// At most the last `length` characters of `piece`, starting at a word (or line) start.
    func tail(of piece: String, length: Int, atLines: Bool) -> String {
        guard length > 0 else { return "" }
        guard piece.count > length else { return piece }
        var start = piece.index(piece.endIndex, offsetBy: -length)
        while start < piece.endIndex, !Self.isBreak(piece[piece.index(before: start)], atLines: atLines) {
            start = piece.index(after: start)
        }
        return String(piece[start...]).trimmingCharacters(in: Self.trimmed(atLines: atLines))
    }
}
