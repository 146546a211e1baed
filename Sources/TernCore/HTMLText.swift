package import Foundation

/// Turns HTML into readable, Markdown-ish text for a model: drops scripts, styles, navigation
/// and other chrome; keeps headings (`#`), list items (`-`), links (`text (url)`), table rows
/// (`a | b`) and paragraphs. Not a full HTML parser: a forgiving tokenizer that never fails,
/// whatever it is given, in one pass (linear in the input).
package enum HTMLText {
    /// The page's title and text.
    package struct Page: Sendable, Equatable {
        package var title: String?
        package var text: String

        /// A page with `title` and `text`.
        package init(title: String?, text: String) {
            self.title = title
            self.text = text
        }
    }

    /// Elements whose whole content is dropped.
    static let skipped: Set<String> = [
        "script", "style", "noscript", "template", "svg", "nav", "iframe", "object", "canvas", "form",
        "button", "select", "aside", "footer",
    ]
    /// Elements whose content is raw text: only their end tag ends them.
    static let rawText: Set<String> = ["script", "style", "textarea", "xmp", "noscript"]
    static let blocks: Set<String> = [
        "p", "div", "section", "article", "main", "header", "blockquote", "pre", "ul", "ol", "table",
        "dl", "dt", "dd", "figure", "figcaption", "hr", "address", "details", "summary",
    ]

    /// Converts `html`; relative links are resolved against `base` when given.
    package static func convert(_ html: String, base: URL? = nil) -> Page {
        var converter = Converter(base: base)
        converter.run(Array(html.unicodeScalars))
        return Page(title: converter.title.map(normalizeSpaces).flatMap { $0.isEmpty ? nil : $0 }, text: converter.finish())
    }

    /// Runs of white space become one space; leading and trailing white space goes. Works on
    /// Unicode scalars (grapheme breaking is far slower and not needed here).
    package static func normalizeSpaces(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !result.isEmpty
            } else {
                if pendingSpace { result.append(" ") }
                pendingSpace = false
                result.append(scalar)
            }
        }
        return String(result)
    }

    private struct Converter {
        let base: URL?
        var output = ""
        var line = ""
        var skipDepth = 0
        var skipTag: String?
        var title: String?
        var inTitle = false
        var inPre = false
        var link: (href: String, start: Int)?
        var cellsInRow = 0

        init(base: URL?) { self.base = base }

        mutating func run(_ scalars: [Unicode.Scalar]) {
            var index = 0
            var text = String.UnicodeScalarView()
            while index < scalars.count {
                if let raw = skipTag, HTMLText.rawText.contains(raw) {
                    index = Self.endOfRawText(raw, in: scalars, from: index)
                    skipDepth = 0
                    skipTag = nil
                    continue
                }
                // `<` starts a tag only before a letter, `/` or `!`; otherwise it is text.
                if scalars[index] == "<", index + 1 < scalars.count,
                    scalars[index + 1].properties.isAlphabetic || scalars[index + 1] == "/" || scalars[index + 1] == "!"
                {
                    appendText(String(text))
                    text.removeAll()
                    index = tag(scalars, from: index)
                } else {
                    text.append(scalars[index])
                    index += 1
                }
            }
            appendText(String(text))
        }

        /// The index after `</name…>` (case-insensitive), or the end of the input.
        static func endOfRawText(_ name: String, in scalars: [Unicode.Scalar], from start: Int) -> Int {
            let needle = Array("</\(name)".unicodeScalars)
            var index = start
            while index + needle.count <= scalars.count {
                if scalars[index] == "<",
                    zip(scalars[index..<(index + needle.count)], needle).allSatisfy({ String($0).lowercased() == String($1) })
                {
                    var end = index + needle.count
                    while end < scalars.count, scalars[end] != ">" { end += 1 }
                    return min(end + 1, scalars.count)
                }
                index += 1
            }
            return scalars.count
        }

        /// Reads a tag (or comment) starting at `start`; returns the index after it.
        mutating func tag(_ scalars: [Unicode.Scalar], from start: Int) -> Int {
            if scalars[start...].starts(with: "<!--".unicodeScalars) {
                var index = start + 4
                while index < scalars.count, !scalars[index...].starts(with: "-->".unicodeScalars) { index += 1 }
                return min(index + 3, scalars.count)
            }
            var index = start + 1
            var quote: Unicode.Scalar?
            while index < scalars.count {
                let scalar = scalars[index]
                if let open = quote {
                    if scalar == open { quote = nil }
                } else if scalar == "\"" || scalar == "'" {
                    quote = scalar
                } else if scalar == ">" {
                    break
                }
                index += 1
            }
            let body = String(String.UnicodeScalarView(scalars[(start + 1)..<min(index, scalars.count)]))
            handle(body)
            return min(index + 1, scalars.count)
        }

        mutating func handle(_ body: String) {
            let closing = body.hasPrefix("/")
            let nameEnd = body.dropFirst(closing ? 1 : 0).prefix { $0.isLetter || $0.isNumber }
            let name = nameEnd.lowercased()
            guard !name.isEmpty else { return }
            if skipDepth > 0 {
                if name == skipTag { skipDepth += closing ? -1 : (body.hasSuffix("/") ? 0 : 1) }
                if skipDepth == 0 { skipTag = nil }
                return
            }
            if !closing, HTMLText.skipped.contains(name), !body.hasSuffix("/") {
                skipDepth = 1
                skipTag = name
                return
            }
            switch (name, closing) {
            case ("title", false): inTitle = true
            case ("title", true): inTitle = false
            case ("br", _): newline()
            case ("li", false):
                lineBreak()
                line = "- "
            case ("h1", false), ("h2", false), ("h3", false), ("h4", false), ("h5", false), ("h6", false):
                block()
                line = String(repeating: "#", count: Int(String(name.last!)) ?? 1) + " "
            case ("h1", true), ("h2", true), ("h3", true), ("h4", true), ("h5", true), ("h6", true): block()
            case ("pre", _):
                block()
                inPre = !closing
            case ("tr", false):
                lineBreak()
                cellsInRow = 0
            case ("td", false), ("th", false):
                if cellsInRow > 0 { line += " | " }
                cellsInRow += 1
            case ("a", false): link = (attribute("href", in: body) ?? "", line.utf8.count)
            case ("a", true):
                if let current = link, !current.href.isEmpty, !current.href.hasPrefix("#"),
                    !current.href.lowercased().hasPrefix("javascript:")
                {
                    let resolved = base.flatMap { URL(string: current.href, relativeTo: $0)?.absoluteString } ?? current.href
                    if line.utf8.count > current.start { line += " (\(resolved))" }
                }
                link = nil
            case ("img", _):
                if let alt = attribute("alt", in: body), !alt.isEmpty { appendText("[image: \(alt)]") }
            case ("li", true), ("tr", true): lineBreak()
            default:
                if HTMLText.blocks.contains(name) { block() }
            }
        }

        mutating func appendText(_ raw: String) {
            guard skipDepth == 0, !raw.isEmpty else { return }
            let decoded = HTMLEntities.decode(raw)
            if inTitle {
                title = (title ?? "") + decoded
                return
            }
            if inPre {
                for (index, part) in decoded.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    if index > 0 { newline() }
                    line += part
                }
                return
            }
            let collapsed = normalizeSpaces(decoded)
            guard !collapsed.isEmpty else {
                if decoded.first?.isWhitespace == true, !(line.last?.isWhitespace ?? true) { line += " " }
                return
            }
            if decoded.first?.isWhitespace == true, !(line.last?.isWhitespace ?? true), !line.isEmpty { line += " " }
            line += collapsed
            if decoded.last?.isWhitespace == true { line += " " }
        }

        mutating func newline() {
            while line.last?.isWhitespace == true { line.removeLast() }
            output += line + "\n"
            line = ""
        }

        /// Ends the current line (a list item, a table row) without a blank line.
        mutating func lineBreak() {
            if !line.trimmingCharacters(in: .whitespaces).isEmpty { newline() }
            line = ""
        }

        mutating func block() {
            if !line.trimmingCharacters(in: .whitespaces).isEmpty { newline() }
            if !output.isEmpty, !output.hasSuffix("\n\n") { output += "\n" }
            line = ""
        }

        mutating func finish() -> String {
            block()
            // At most one blank line in a row.
            var lines: [Substring] = []
            for current in output.split(separator: "\n", omittingEmptySubsequences: false) {
                if current.isEmpty, lines.last?.isEmpty ?? true { continue }
                lines.append(current)
            }
            return lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        }

        private func normalizeSpaces(_ text: String) -> String { HTMLText.normalizeSpaces(text) }

        private func attribute(_ name: String, in tag: String) -> String? {
            let lowered = tag.lowercased()
            guard let range = lowered.range(of: "\(name)=") else { return nil }
            let rest = tag[range.upperBound...]
            if let quote = rest.first, quote == "\"" || quote == "'" {
                let value = rest.dropFirst().prefix { $0 != quote }
                return HTMLEntities.decode(String(value))
            }
            return HTMLEntities.decode(String(rest.prefix { !$0.isWhitespace && $0 != ">" }))
        }
    }
}

/// HTML character references: the common named ones and every numeric one.
enum HTMLEntities {
    static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "copy": "©", "reg": "®",
        "mdash": "—", "ndash": "–", "hellip": "…", "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”",
        "euro": "€", "middot": "·", "times": "×", "bull": "•", "laquo": "«", "raquo": "»",
    ]

    static func decode(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var result = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            result += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            guard let semicolon = after.prefix(12).firstIndex(of: ";") else {
                result += "&"
                rest = after
                continue
            }
            let name = after[..<semicolon]
            if let replacement = character(for: name) {
                result += replacement
                rest = after[after.index(after: semicolon)...]
            } else {
                result += "&"
                rest = after
            }
        }
        return result + rest
    }

    private static func character(for name: Substring) -> String? {
        if name.hasPrefix("#x") || name.hasPrefix("#X") {
            return UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String($0) }
        }
        if name.hasPrefix("#") { return UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init).map { String($0) } }
        return named[String(name)]
    }
}
