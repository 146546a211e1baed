/// Why ``ExpressionParser`` could not evaluate an expression. Every case carries the 1-based
/// column (counted in characters) where the problem is, and the message says what was expected,
/// so a model can correct its input.
package enum ExpressionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input is longer than the parser's limit; `column` is the first character past it.
    case tooLong(length: Int, limit: Int, column: Int)
    /// A character that starts no token, e.g. `$` or `;`.
    case unexpectedCharacter(Character, column: Int)
    /// A number literal that does not parse, e.g. `1e` or `1.2.3`.
    case invalidNumber(String, column: Int)
    /// A token (or the end of input, written `end of input`) where something else was expected.
    case unexpectedToken(found: String, expected: String, column: Int)
    /// A `(` never closed (column of the `(`), or a `)` without an opening one.
    case unbalancedParenthesis(Character, column: Int)
    /// A name used as a constant that is not one.
    case unknownConstant(String, known: [String], column: Int)
    /// A name called as a function that is not one.
    case unknownFunction(String, known: [String], column: Int)
    /// A function called with too few or too many arguments; `expected` reads like `2` or
    /// `at least 1` or `1 or 2`.
    case wrongArgumentCount(function: String, expected: String, got: Int, column: Int)
    /// `x / 0` or `x % 0`; `column` is the operator's.
    case divisionByZero(column: Int)
    /// An operation gave an infinite or undefined result (overflow, `sqrt(-1)`, `ln(0)`);
    /// `operation` names it (`^`, `sqrt`, …).
    case notFinite(operation: String, column: Int)
    /// Parentheses, function calls, signs or powers nested deeper than the limit.
    case tooDeep(limit: Int, column: Int)

    /// The 1-based column of the problem.
    package var column: Int {
        switch self {
        case .tooLong(_, _, let column), .unexpectedCharacter(_, let column), .invalidNumber(_, let column),
            .unexpectedToken(_, _, let column), .unbalancedParenthesis(_, let column),
            .unknownConstant(_, _, let column), .unknownFunction(_, _, let column),
            .wrongArgumentCount(_, _, _, let column), .divisionByZero(let column),
            .notFinite(_, let column), .tooDeep(_, let column):
            column
        }
    }

    /// `column 4: …`: where and what, fit to show the model.
    package var description: String {
        "column \(column): \(problem)"
    }

    private var problem: String {
        switch self {
        case .tooLong(let length, let limit, _):
            "expression is too long (\(length) characters); expected at most \(limit)"
        case .unexpectedCharacter(let character, _):
            "unexpected character '\(character)'; expected a number, a name, an operator (+ - * / % ^) "
                + "or a parenthesis"
        case .invalidNumber(let text, _):
            "invalid number '\(text)'; expected digits with an optional '.' and exponent, like 1.5e3"
        case .unexpectedToken(let found, let expected, _):
            "unexpected \(found); expected \(expected)"
        case .unbalancedParenthesis("(", _):
            "'(' is never closed; expected ')'"
        case .unbalancedParenthesis(let character, _):
            "'\(character)' has no matching '('; expected an operator or the end of the expression"
        case .unknownConstant(let name, let known, _):
            "unknown constant '\(name)'; expected one of \(known.joined(separator: ", ")) "
                + "(functions need parentheses)"
        case .unknownFunction(let name, let known, _):
            "unknown function '\(name)'; expected one of \(known.joined(separator: ", "))"
        case .wrongArgumentCount(let function, let expected, let got, _):
            "\(function) takes \(expected) \(["1", "at least 1"].contains(expected) ? "argument" : "arguments"), "
                + "got \(got)"
        case .divisionByZero:
            "division by zero"
        case .notFinite(let operation, _):
            "\(operation) gives no finite real number here (overflow or outside its domain)"
        case .tooDeep(let limit, _):
            "expression is nested too deeply; expected at most \(limit) levels of parentheses, "
                + "calls, signs and powers"
        }
    }
}
