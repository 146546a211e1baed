import Foundation

/// Finds the JSON object in a model's reply, which may wrap it in prose or a code fence.
/// Used by ``PlanParser`` and by the router.
///
/// Rules, in order:
/// 1. If the reply has a code fence (```` ```json ```` or plain ```` ``` ````), the first object
///    inside the first fence is tried first.
/// 2. Otherwise (or if the fence holds nothing usable) the whole reply is scanned: the first
///    top-level `{` is matched to its closing `}`, respecting JSON strings and escapes. If that
///    text is valid JSON it is the answer; if not, scanning resumes after it (so `{name}` in
///    prose is skipped). At most ``maxCandidates`` objects are tried.
/// 3. A `{` that is never closed ends the search as ``Outcome/invalid(reason:)``: the reply was
///    most likely cut off, and a nested object inside it must not be mistaken for the whole.
package enum JSONObjectExtractor {
    /// What the search found.
    package enum Outcome: Sendable, Equatable {
        /// The first valid JSON object.
        case found([String: JSONValue])
        /// The reply has no `{…}` at all.
        case notFound
        /// There were candidates but none was valid JSON; `reason` describes the first.
        case invalid(reason: String)
    }

    /// How many balanced `{…}` candidates are decoded before giving up.
    package static let maxCandidates = 16

    /// Searches `text` for its JSON object.
    package static func firstObject(in text: String) -> Outcome {
        if let fenced = fencedContent(of: text), case .found(let object) = scan(Array(fenced.utf8)) {
            return .found(object)
        }
        return scan(Array(text.utf8))
    }

    /// The text inside the first ``` fence, without the info string (`json`); `nil` if none.
    private static func fencedContent(of text: String) -> Substring? {
        guard let open = text.range(of: "```") else { return nil }
        let afterOpen = text[open.upperBound...]
        // The info string runs to the end of the opening line.
        let bodyStart = afterOpen.firstIndex(of: "\n").map { afterOpen.index(after: $0) } ?? afterOpen.endIndex
        let body = afterOpen[bodyStart...]
        guard let close = body.range(of: "```") else { return body }
        return body[..<close.lowerBound]
    }

    private static func scan(_ bytes: [UInt8]) -> Outcome {
        var searchFrom = 0
        var firstProblem: String?
        var tried = 0
        while tried < maxCandidates, let start = bytes[searchFrom...].firstIndex(of: UInt8(ascii: "{")) {
            tried += 1
            guard let end = matchingBrace(in: bytes, from: start) else {
                return .invalid(
                    reason: firstProblem
                        ?? "the object starting at line \(line(of: start, in: bytes)) is never closed")
            }
            do {
                let value = try JSONValue(parsing: Data(bytes[start...end]))
                if case .object(let object) = value { return .found(object) }
            } catch {
                // Expected for braces in prose; remembered in case no candidate is valid.
                firstProblem =
                    firstProblem
                    ?? "the object starting at line \(line(of: start, in: bytes)) is not valid JSON"
            }
            searchFrom = end + 1
        }
        return firstProblem.map { .invalid(reason: $0) } ?? .notFound
    }

    /// The index of the `}` closing the `{` at `start`, skipping braces inside strings.
    private static func matchingBrace(in bytes: [UInt8], from start: Int) -> Int? {
        var depth = 0
        var inString = false
        var escaped = false
        for index in start..<bytes.count {
            let byte = bytes[index]
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 { return index }
            default: break
            }
        }
        return nil
    }

    private static func line(of index: Int, in bytes: [UInt8]) -> Int {
        bytes[..<index].reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
    }
}
