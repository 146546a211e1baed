import Foundation

/// Recognises a user's explicit request to remember something: "remember that …",
/// "please remember: …", "don't forget that …" at the start of a message.
package enum ExplicitMemory {
    /// The openings recognised, lower case; "please " (and a leading "hey, ") may come first.
    static let openings = [
        "remember that ", "remember: ", "remember, ", "don't forget that ", "do not forget that ",
        "note that ", "keep in mind that ",
    ]

    /// The longest fact taken from one message.
    package static let maxCharacters = 2000

    /// The fact to remember in `message`, or `nil` when it asks for none.
    package static func fact(in message: String) -> String? {
        var text = Substring(message.trimmingCharacters(in: .whitespacesAndNewlines))
        for lead in ["hey, ", "hey ", "ok, ", "okay, "] where text.lowercased().hasPrefix(lead) {
            text = text.dropFirst(lead.count)
        }
        if text.lowercased().hasPrefix("please ") { text = text.dropFirst("please ".count) }
        let lowered = text.lowercased()
        guard let opening = openings.first(where: { lowered.hasPrefix($0) }) else { return nil }
        var fact = text.dropFirst(opening.count).trimmingCharacters(in: .whitespacesAndNewlines)
        // "Remember that my … , please." and a closing "thanks" are not part of the fact.
        for tail in [", please.", ", please", " please.", ", thanks.", ", thanks", ", thank you."]
        where fact.lowercased().hasSuffix(tail) {
            fact = String(fact.dropLast(tail.count))
        }
        guard !fact.isEmpty else { return nil }
        return String(fact.prefix(maxCharacters))
    }
}
