import Foundation
import Testing
import TernTools

@Suite struct ExpressionParserTests {
    static let good: [(String, Double)] = [
        ("1+2", 3), ("2*3+4", 10), ("2*(3+4)", 14), ("10/4", 2.5), ("7 % 3", 1), ("-7 % 3", -1),
        ("2^10", 1024), ("2^3^2", 512), ("-2^2", -4), ("(-2)^2", 4), ("2^-1", 0.5), ("--3", 3),
        ("+5", 5), ("2*-3", -6), ("1e3", 1000), ("2.5E-1", 0.25), ("1e+2", 100), (".5 + 1.", 1.5),
        ("pi", Double.pi), ("e", M_E), ("sqrt(16)", 4), ("abs(-3)", 3), ("round(2.5)", 3),
        ("round(-2.5)", -3), ("round(3.14159, 2)", 3.14), ("floor(-1.5)", -2), ("ceil(1.2)", 2),
        ("exp(0)", 1), ("ln(e)", 1), ("log(1000)", 3), ("log10(100)", 2), ("log(8, 2)", 3),
        ("sin(0)", 0), ("cos(pi)", -1), ("tan(0)", 0), ("min(3, 1, 2)", 1), ("max(3)", 3),
        ("pow(2, 3)", 8), ("2 ** 3", 8), ("6 × 7 ÷ 2 − 1", 20), ("SQRT(4) + PI - pi", 2),
        ("  1 +\n 2 ", 3), ("max(1, min(5, 2+2))", 4), ("1 - 2 - 3", -4), ("24 / 4 / 2", 3),
        (String(repeating: "(", count: 64) + "7" + String(repeating: ")", count: 64), 7),
    ]

    @Test(arguments: good)
    func evaluate_computesTheValue(_ expression: String, _ expected: Double) throws {
        let value = try ExpressionParser().evaluate(expression)
        #expect(abs(value - expected) <= 1e-12 * max(1, abs(expected)), "\(expression) = \(value)")
    }

    /// Each bad input, the column reported and a fragment of the message.
    static let bad: [(String, Int, String)] = [
        ("", 1, "unexpected end of input; expected an expression"),
        ("1 + $", 5, "unexpected character '$'"),
        ("1.2.3", 1, "invalid number '1.2.3'"),
        ("2e", 1, "invalid number '2e'"),
        ("(1 + 2", 1, "'(' is never closed; expected ')'"),
        ("1 + 2)", 6, "')' has no matching '('"),
        ("max(1))", 7, "')' has no matching '('"),
        (")", 1, "unexpected ')'; expected a number, a name or '('"),
        ("1+)", 3, "unexpected ')'; expected a number, a name or '('"),
        ("max(1, 2", 4, "'(' is never closed"),
        ("(1 2)", 4, "unexpected number 2; expected an operator or ')'"),
        ("max(1 2)", 7, "expected an operator or ',' or ')'"),
        ("2 3", 3, "unexpected number 3; expected an operator or the end of the expression"),
        ("2pi", 2, "unexpected name 'pi'"),
        ("1 +", 4, "unexpected end of input; expected a number, a name or '('"),
        ("*2", 1, "unexpected '*'; expected a number, a name or '('"),
        ("foo + 1", 1, "unknown constant 'foo'; expected one of e, pi"),
        ("foo(1)", 1, "unknown function 'foo'; expected one of abs, ceil"),
        ("sqrt 4", 6, "expected '(' after function sqrt"),
        ("sqrt(1, 2)", 1, "sqrt takes 1 argument, got 2"),
        ("max()", 1, "max takes at least 1 argument, got 0"),
        ("1 + pow(2)", 5, "pow takes 2 arguments, got 1"),
        ("log(1, 2, 3)", 1, "log takes 1 or 2 arguments, got 3"),
        ("1 / 0", 3, "division by zero"),
        ("5 % (2-2)", 3, "division by zero"),
        ("10^400", 3, "^ gives no finite real number"),
        ("1e308 * 10", 7, "* gives no finite real number"),
        ("sqrt(-1)", 1, "sqrt gives no finite real number"),
        ("2 + ln(0)", 5, "ln gives no finite real number"),
        ("log(8, 1)", 1, "log gives no finite real number"),
        ("round(1, 0.5)", 1, "round gives no finite real number"),
        ("1e999", 1, "number 1e999 gives no finite real number"),
        (String(repeating: "(", count: 65) + "1" + String(repeating: ")", count: 65), 65, "nested too deeply"),
        (String(repeating: "-", count: 100) + "1", 65, "expected at most 64 levels"),
        ("2" + String(repeating: "^2", count: 70), 130, "nested too deeply"),
        (String(repeating: "1+", count: 600) + "1", 1001, "too long (1201 characters); expected at most 1000"),
    ]

    @Test(arguments: bad)
    func evaluate_reportsColumnAndExpectation(_ expression: String, _ column: Int, _ message: String) {
        #expect {
            try ExpressionParser().evaluate(expression)
        } throws: { error in
            guard let error = error as? ExpressionError else { return false }
            #expect(error.column == column)
            #expect(error.description.hasPrefix("column \(column): "))
            #expect(error.description.contains(message), "\(error.description)")
            return true
        }
    }

    @Test func evaluate_throwsTypedCases() {
        #expect(throws: ExpressionError.divisionByZero(column: 3)) { try ExpressionParser().evaluate("1 / 0") }
        #expect(throws: ExpressionError.unbalancedParenthesis("(", column: 1)) {
            try ExpressionParser().evaluate("((2)")
        }
        #expect(throws: ExpressionError.wrongArgumentCount(function: "pow", expected: "2", got: 3, column: 1)) {
            try ExpressionParser().evaluate("pow(1, 2, 3)")
        }
        #expect(throws: ExpressionError.tooDeep(limit: 2, column: 3)) {
            try ExpressionParser(maxDepth: 2).evaluate("((()))")
        }
        #expect(throws: ExpressionError.tooLong(length: 5, limit: 4, column: 5)) {
            try ExpressionParser(maxLength: 4).evaluate("1+2+3")
        }
    }

    @Test func evaluate_survivesHostileNesting() {
        // Far past the limit: must fail cleanly, not overflow the stack.
        let hostile = String(repeating: "(", count: 100_000)
        #expect(throws: ExpressionError.tooDeep(limit: 64, column: 65)) {
            try ExpressionParser(maxLength: 200_000).evaluate(hostile)
        }
    }
}
