/// A token of an arithmetic expression, with the 1-based column where it starts.
struct ExpressionToken: Equatable, Sendable {
    /// What the token is.
    enum Kind: Equatable, Sendable {
        /// A number literal's value.
        case number(Double)
        /// A constant or function name, lowercased.
        case name(String)
        /// One of `+ - * / % ^`.
        case symbol(Character)
        /// `(`.
        case openParenthesis
        /// `)`.
        case closeParenthesis
        /// `,` between function arguments.
        case comma
        /// The end of the input.
        case end
    }

    /// What the token is.
    var kind: Kind
    /// The text as written (`end of input` for the end), for messages.
    var text: String
    /// 1-based column of the first character.
    var column: Int

    /// How the token reads in an error message: `number 2`, `name 'pi'`, `'+'`, `end of input`.
    var quoted: String {
        switch kind {
        case .number: "number \(text)"
        case .name: "name '\(text)'"
        case .end: "end of input"
        case .symbol, .openParenthesis, .closeParenthesis, .comma: "'\(text)'"
        }
    }
}

/// Splits an expression into tokens. Besides the ASCII operators it accepts `**` for `^`,
/// `×` and `·` for `*`, `÷` for `/` and `−` (U+2212) for `-`, as models and people write them.
enum ExpressionLexer {
    /// The tokens of `characters`, ending with an `.end` token.
    /// - Throws: ``ExpressionError/unexpectedCharacter(_:column:)``,
    ///   ``ExpressionError/invalidNumber(_:column:)``, or ``ExpressionError/notFinite(operation:column:)``
    ///   for a literal too large for a `Double`.
    static func tokens(of characters: [Character]) throws(ExpressionError) -> [ExpressionToken] {
        var tokens: [ExpressionToken] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            let column = index + 1
            if character.isWhitespace {
                index += 1
            } else if isDigit(character) || character == "." {
                let (token, next) = try number(in: characters, from: index)
                tokens.append(token)
                index = next
            } else if isNameStart(character) {
                var end = index + 1
                while end < characters.count, isNameStart(characters[end]) || isDigit(characters[end]) {
                    end += 1
                }
                let text = String(characters[index..<end])
                tokens.append(ExpressionToken(kind: .name(text.lowercased()), text: text, column: column))
                index = end
            } else if character == "*", index + 1 < characters.count, characters[index + 1] == "*" {
                tokens.append(ExpressionToken(kind: .symbol("^"), text: "**", column: column))
                index += 2
            } else if let kind = punctuation(character) {
                tokens.append(ExpressionToken(kind: kind, text: String(character), column: column))
                index += 1
            } else {
                throw .unexpectedCharacter(character, column: column)
            }
        }
        tokens.append(ExpressionToken(kind: .end, text: "end of input", column: characters.count + 1))
        return tokens
    }

    /// Scans `12`, `1.5`, `.5`, `1.`, `1e3`, `2.5E-4`; `e` followed by a letter ends the number
    /// (so `2e` followed by `xp(1)` is reported by the parser as a missing operator).
    private static func number(
        in characters: [Character], from start: Int
    ) throws(ExpressionError) -> (ExpressionToken, Int) {
        var end = start
        while end < characters.count, isDigit(characters[end]) || characters[end] == "." { end += 1 }
        let mantissa = characters[start..<end]
        var valid = mantissa.filter { $0 == "." }.count <= 1 && mantissa.contains(where: isDigit)
        if end < characters.count, characters[end] == "e" || characters[end] == "E" {
            let afterE = end + 1
            let startsName = afterE < characters.count && isNameStart(characters[afterE])
            if !startsName {
                end = afterE
                if end < characters.count, characters[end] == "+" || characters[end] == "-" { end += 1 }
                let digitsStart = end
                while end < characters.count, isDigit(characters[end]) { end += 1 }
                valid = valid && end > digitsStart
            }
        }
        let text = String(characters[start..<end])
        guard valid, let value = Double(text.hasSuffix(".") ? text + "0" : text) else {
            throw .invalidNumber(text, column: start + 1)
        }
        guard value.isFinite else { throw .notFinite(operation: "number \(text)", column: start + 1) }
        return (ExpressionToken(kind: .number(value), text: text, column: start + 1), end)
    }

    private static func punctuation(_ character: Character) -> ExpressionToken.Kind? {
        switch character {
        case "+", "-", "*", "/", "%", "^": .symbol(character)
        case "×", "·": .symbol("*")
        case "÷": .symbol("/")
        case "−": .symbol("-")
        case "(": .openParenthesis
        case ")": .closeParenthesis
        case ",": .comma
        default: nil
        }
    }

    private static func isDigit(_ character: Character) -> Bool {
        character >= "0" && character <= "9" && character.isASCII
    }

    private static func isNameStart(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character == "_")
    }
}
