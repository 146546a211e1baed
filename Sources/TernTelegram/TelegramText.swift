import Foundation

/// Text as Telegram takes it: plain (no parse mode, so no character can make Telegram reject
/// a message) and at most ``Telegram/maxMessageLength`` UTF-16 units per message.
package enum TelegramText {
    /// Splits `text` into messages of at most `limit` UTF-16 units, preferring to cut after a
    /// blank line, then a line break, then a space; a word longer than `limit` is cut inside.
    /// Pieces are never empty; joining them gives back the text (cuts at white space drop
    /// that white space only).
    package static func split(_ text: String, limit: Int = Telegram.maxMessageLength) -> [String] {
        precondition(limit > 0, "limit must be positive")
        var pieces: [String] = []
        var rest = Substring(text)
        while rest.utf16.count > limit {
            let window = prefix(of: rest, utf16Units: limit)
            let cut =
                window.range(of: "\n\n", options: .backwards)?.upperBound
                ?? window.lastIndex(of: "\n").map { window.index(after: $0) }
                ?? window.lastIndex(where: { $0 == " " }).map { window.index(after: $0) }
                ?? window.endIndex
            // A cut at the very start would make no progress: cut hard instead.
            let end = cut > rest.startIndex ? cut : window.endIndex
            let piece = rest[..<end].trimmingCharacters(in: .whitespacesAndNewlines)
            if !piece.isEmpty { pieces.append(piece) }
            rest = rest[end...]
        }
        let last = rest.trimmingCharacters(in: .whitespacesAndNewlines)
        if !last.isEmpty { pieces.append(last) }
        return pieces
    }

    /// The longest prefix of `text` with at most `units` UTF-16 units that ends on a
    /// `Character` boundary (an emoji or a combined letter is never cut in half).
    static func prefix(of text: Substring, utf16Units units: Int) -> Substring {
        var count = 0
        var end = text.startIndex
        for index in text.indices {
            let width = text[index].utf16.count
            if count + width > units { break }
            count += width
            end = text.index(after: index)
        }
        // Only a limit smaller than one character could leave nothing: take that character.
        if end == text.startIndex, !text.isEmpty { return text.prefix(1) }
        return text[..<end]
    }
}
