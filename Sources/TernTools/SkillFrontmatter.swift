/// A Markdown file split into its YAML frontmatter and body.
///
/// The file must start with a line `---` (a UTF-8 byte-order mark and trailing blanks are
/// tolerated); the frontmatter runs to the next `---` line. So the YAML starts on line 2 of the
/// file, and a YAML line `n` is file line `n + 1` (``lineOffset``).
struct SkillFrontmatter: Equatable, Sendable {
    /// Why a file has no usable frontmatter; both are reported on line 1.
    enum Problem: Error, Equatable, Sendable {
        /// The first line is not `---`.
        case missing
        /// No closing `---` line.
        case unterminated
    }

    /// Lines in the file before the YAML text: the opening `---`.
    static let lineOffset = 1

    /// The YAML between the `---` lines.
    var yaml: String
    /// What follows the closing `---`, without leading and trailing blank lines.
    var body: String

    /// Splits `text`. Line breaks are `\n`, `\r\n` or `\r`, as in YAML.
    init(splitting text: String) throws(Problem) {
        var text = Substring(text)
        if text.first == "\u{FEFF}" { text = text.dropFirst() }
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        func isFence(_ line: Substring) -> Bool {
            line.count >= 3 && line.hasPrefix("---") && line.dropFirst(3).allSatisfy { $0 == " " || $0 == "\t" }
        }
        guard let first = lines.first, isFence(first) else { throw .missing }
        guard let close = lines.indices.dropFirst().first(where: { isFence(lines[$0]) }) else {
            throw .unterminated
        }
        yaml = lines[1..<close].joined(separator: "\n")
        body = lines[(close + 1)...].joined(separator: "\n").trimmingBlankLines()
    }
}

extension String {
    /// The text without blank lines at the start and white space at the end; indentation of
    /// the first line with text is kept (it may be a Markdown code block).
    fileprivate func trimmingBlankLines() -> String {
        var lines = split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        while let first = lines.first, first.allSatisfy(\.isWhitespace) { lines.removeFirst() }
        var result = lines.joined(separator: "\n")
        while let last = result.last, last.isWhitespace { result.removeLast() }
        return result
    }
}
