import Foundation

/// A recursive-descent parser and evaluator for arithmetic over `Double`. It evaluates while it
/// parses, and never runs anything but arithmetic: no `NSExpression`, no `eval`.
///
/// Grammar, loosest binding first:
///
///     expression     := additive end
///     additive       := multiplicative (("+" | "-") multiplicative)*
///     multiplicative := unary (("*" | "/" | "%") unary)*
///     unary          := ("+" | "-") unary | power
///     power          := primary ("^" unary)?
///     primary        := number | constant | function "(" arguments? ")" | "(" additive ")"
///     arguments      := additive ("," additive)*
///
/// So `^` is right-associative (`2^3^2` is 512) and binds tighter than a sign on its left
/// (`-2^2` is -4) while accepting one on its right (`2^-1` is 0.5). `%` is the remainder with
/// the sign of the dividend (`-7 % 3` is -1). There is no implicit multiplication (`2pi` is an
/// error). Constants and functions are listed in ``ExpressionFunctions``.
///
/// Hostile input is bounded: the text is capped at ``maxLength`` characters and nesting at
/// ``maxDepth`` levels, so recursion cannot exhaust the stack. Every intermediate result must be
/// finite, so an overflow is reported where it happens.
package struct ExpressionParser: Sendable {
    /// The default ``maxLength``.
    package static let defaultMaxLength = 1000
    /// The default ``maxDepth``.
    package static let defaultMaxDepth = 64

    /// Longest accepted input, in characters.
    package var maxLength: Int
    /// Deepest accepted nesting; each parenthesis, function call, sign and `^` is one level.
    package var maxDepth: Int

    /// A parser with the given limits.
    package init(maxLength: Int = defaultMaxLength, maxDepth: Int = defaultMaxDepth) {
        self.maxLength = maxLength
        self.maxDepth = maxDepth
    }

    /// The value of `expression`.
    /// - Throws: ``ExpressionError`` naming the column of the first problem.
    package func evaluate(_ expression: String) throws(ExpressionError) -> Double {
        let length = expression.count
        guard length <= maxLength else {
            throw .tooLong(length: length, limit: maxLength, column: maxLength + 1)
        }
        var state = State(tokens: try ExpressionLexer.tokens(of: Array(expression)), maxDepth: maxDepth)
        return try state.parse()
    }
}

extension ExpressionParser {
    /// The cursor over the tokens and the current depth.
    private struct State {
        let tokens: [ExpressionToken]
        let maxDepth: Int
        var position = 0
        var depth = 0

        init(tokens: [ExpressionToken], maxDepth: Int) {
            self.tokens = tokens
            self.maxDepth = maxDepth
        }

        var current: ExpressionToken { tokens[position] }

        mutating func advance() -> ExpressionToken {
            let token = tokens[position]
            if position < tokens.count - 1 { position += 1 }
            return token
        }

        mutating func parse() throws(ExpressionError) -> Double {
            if current.kind == .end {
                throw .unexpectedToken(found: "end of input", expected: "an expression", column: 1)
            }
            let value = try additive()
            switch current.kind {
            case .end: return value
            case .closeParenthesis: throw .unbalancedParenthesis(")", column: current.column)
            default:
                throw .unexpectedToken(
                    found: current.quoted, expected: "an operator or the end of the expression",
                    column: current.column)
            }
        }

        mutating func additive() throws(ExpressionError) -> Double {
            var value = try multiplicative()
            while case .symbol(let symbol) = current.kind, symbol == "+" || symbol == "-" {
                let column = advance().column
                let right = try multiplicative()
                value = try finite(symbol == "+" ? value + right : value - right, "\(symbol)", column)
            }
            return value
        }

        mutating func multiplicative() throws(ExpressionError) -> Double {
            var value = try unary()
            while case .symbol(let symbol) = current.kind, symbol == "*" || symbol == "/" || symbol == "%" {
                let column = advance().column
                let right = try unary()
                if symbol != "*", right == 0 { throw .divisionByZero(column: column) }
                let result =
                    switch symbol {
                    case "*": value * right
                    case "/": value / right
                    default: value.truncatingRemainder(dividingBy: right)
                    }
                value = try finite(result, "\(symbol)", column)
            }
            return value
        }

        mutating func unary() throws(ExpressionError) -> Double {
            guard case .symbol(let symbol) = current.kind, symbol == "+" || symbol == "-" else {
                return try power()
            }
            let column = advance().column
            try descend(column)
            defer { depth -= 1 }
            let operand = try unary()
            return symbol == "-" ? -operand : operand
        }

        mutating func power() throws(ExpressionError) -> Double {
            let base = try primary()
            guard case .symbol("^") = current.kind else { return base }
            let column = advance().column
            try descend(column)
            defer { depth -= 1 }
            let exponent = try unary()
            return try finite(Foundation.pow(base, exponent), "^", column)
        }

        mutating func primary() throws(ExpressionError) -> Double {
            let token = advance()
            switch token.kind {
            case .number(let value):
                return value
            case .openParenthesis:
                try descend(token.column)
                defer { depth -= 1 }
                let value = try additive()
                try close(opener: token, inCall: false)
                return value
            case .name(let name):
                if current.kind == .openParenthesis { return try call(name, token) }
                if let value = ExpressionFunctions.constants[name] { return value }
                if ExpressionFunctions.functions[name] != nil {
                    throw .unexpectedToken(
                        found: current.quoted, expected: "'(' after function \(name)", column: current.column)
                }
                throw .unknownConstant(token.text, known: ExpressionFunctions.constantNames, column: token.column)
            case .symbol, .closeParenthesis, .comma, .end:
                throw .unexpectedToken(
                    found: token.quoted, expected: "a number, a name or '('", column: token.column)
            }
        }

        /// `name(arguments)`; the current token is the `(`.
        mutating func call(_ name: String, _ nameToken: ExpressionToken) throws(ExpressionError) -> Double {
            guard let function = ExpressionFunctions.functions[name] else {
                throw .unknownFunction(nameToken.text, known: ExpressionFunctions.functionNames, column: nameToken.column)
            }
            let opener = advance()
            try descend(opener.column)
            defer { depth -= 1 }
            var arguments: [Double] = []
            if current.kind != .closeParenthesis {
                arguments.append(try additive())
                while current.kind == .comma {
                    _ = advance()
                    arguments.append(try additive())
                }
            }
            try close(opener: opener, inCall: true)
            guard arguments.count >= function.minimum, arguments.count <= function.maximum ?? Int.max else {
                throw .wrongArgumentCount(
                    function: name, expected: function.arity, got: arguments.count, column: nameToken.column)
            }
            guard let result = function.apply(arguments) else {
                throw .notFinite(operation: name, column: nameToken.column)
            }
            return try finite(result, name, nameToken.column)
        }

        /// Consumes the `)` matching `opener`, which opens an argument list when `inCall`.
        mutating func close(opener: ExpressionToken, inCall: Bool) throws(ExpressionError) {
            switch current.kind {
            case .closeParenthesis:
                _ = advance()
            case .end:
                throw .unbalancedParenthesis("(", column: opener.column)
            default:
                let expected = inCall ? "',' or ')'" : "')'"
                throw .unexpectedToken(
                    found: current.quoted, expected: "an operator or \(expected)", column: current.column)
            }
        }

        mutating func descend(_ column: Int) throws(ExpressionError) {
            guard depth < maxDepth else { throw .tooDeep(limit: maxDepth, column: column) }
            depth += 1
        }

        func finite(_ value: Double, _ operation: String, _ column: Int) throws(ExpressionError) -> Double {
            guard value.isFinite else { throw .notFinite(operation: operation, column: column) }
            return value
        }
    }
}
