/// The kinds of file memory ingests, told by the file name's extension.
package enum DocumentFormat: String, Sendable, CaseIterable {
    /// Markdown: chunked on headings, then paragraphs.
    case markdown
    /// Plain text: chunked on paragraphs.
    case text
    /// HTML: turned into text (``HTMLText``), then chunked like markdown.
    case html
    /// Source code and configuration: chunked on blank-line blocks, cut at line ends.
    case source

    /// Extensions read as source files.
    static let sourceExtensions: Set<String> = [
        "swift", "py", "js", "mjs", "ts", "tsx", "jsx", "go", "rs", "c", "h", "cc", "cpp", "hpp", "m", "java", "kt",
        "rb", "php", "cs", "scala", "sh", "bash", "zsh", "sql", "lua", "pl", "r", "dart", "ex", "exs", "erl", "hs",
        "clj", "yaml", "yml", "toml", "json", "ini", "cfg", "conf", "css", "scss", "xml", "gradle", "cmake", "mk",
        "dockerfile", "proto", "graphql", "vue", "svelte",
    ]

    /// The format of a file called `name`, or `nil` when memory does not read that kind of file.
    package init?(fileName name: String) {
        let lowered = name.lowercased()
        let base = lowered.split(separator: "/").last.map(String.init) ?? lowered
        if base == "dockerfile" || base == "makefile" {
            self = .source
            return
        }
        guard let dot = base.lastIndex(of: "."), dot != base.startIndex else {
            return nil
        }
        let ext = String(base[base.index(after: dot)...])
        switch ext {
        case "md", "markdown", "mdx": self = .markdown
        case "txt", "text", "rst", "adoc", "org", "csv", "log": self = .text
        case "html", "htm", "xhtml": self = .html
        default:
            guard Self.sourceExtensions.contains(ext) else { return nil }
            self = .source
        }
    }

    /// The format named `raw` (`markdown`, `text`, `html`, `source`), for API callers.
    package init?(name raw: String) {
        self.init(rawValue: raw.lowercased())
    }

    /// The names, for error messages.
    package static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
