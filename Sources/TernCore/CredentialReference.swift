import Foundation

/// `${cred:NAME}` references in MCP server definitions: text with references to a context's
/// credentials, resolved when a connection is made (never stored resolved).
package enum CredentialReference {
    /// A piece of text: plain, or a reference to credential `name`.
    package enum Piece: Sendable, Equatable {
        case text(String)
        case reference(String)
    }

    /// What starts a reference.
    package static let opener = "${cred:"

    /// Splits `text` into plain pieces and references. Text without `${cred:` is one piece.
    /// - Throws: ``CredentialError/malformedReference(_:)`` for a reference without its `}` or
    ///   with an invalid name.
    package static func parse(_ text: String) throws(CredentialError) -> [Piece] {
        var pieces: [Piece] = []
        var rest = Substring(text)
        while let start = rest.range(of: opener) {
            if start.lowerBound > rest.startIndex { pieces.append(.text(String(rest[..<start.lowerBound]))) }
            let afterOpener = rest[start.upperBound...]
            guard let close = afterOpener.firstIndex(of: "}") else {
                throw .malformedReference("\"\(opener)\" without a closing '}'")
            }
            let name = String(afterOpener[..<close])
            if let problem = CredentialName.problem(with: name) {
                throw .malformedReference("\(opener)\(name)}: \(problem)")
            }
            pieces.append(.reference(name))
            rest = afterOpener[afterOpener.index(after: close)...]
        }
        if !rest.isEmpty { pieces.append(.text(String(rest))) }
        return pieces
    }

    /// The credential names `text` references, in order, each once.
    package static func names(in text: String) throws(CredentialError) -> [String] {
        var seen: [String] = []
        for case .reference(let name) in try parse(text) where !seen.contains(name) { seen.append(name) }
        return seen
    }
}
