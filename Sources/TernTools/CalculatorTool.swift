import Foundation
package import TernCore

/// Evaluates arithmetic for the model with ``ExpressionParser``, so it need not do sums in its
/// head. Input `{"expression": "2 * (3 + 4)"}`; output the number as text (`14`), or an error
/// output with the parser's message (`column 5: division by zero`) that the model can act on.
package struct CalculatorTool: Tool {
    /// The tool's name, `calculator`.
    package static let name = "calculator"

    /// Name, description, schema and risk (`.read`).
    package let spec: ToolSpec
    private let parser: ExpressionParser

    /// A calculator using `parser`'s limits; the schema's `maxLength` follows the parser's.
    /// - Throws: never in practice; ``ToolError/invalidSpec(name:reason:)`` if the spec were bad.
    package init(parser: ExpressionParser = ExpressionParser()) throws(ToolError) {
        self.parser = parser
        let schema: JSONValue = .object([
            "type": .string("object"),
            "properties": .object([
                "expression": .object([
                    "type": .string("string"),
                    "minLength": .number(1),
                    "maxLength": .number(Double(parser.maxLength)),
                    "description": .string("The expression, e.g. \"(2 + 3) * 4^2 / sqrt(2)\"."),
                ])
            ]),
            "required": .array([.string("expression")]),
            "additionalProperties": .bool(false),
        ])
        spec = try ToolSpec(
            name: Self.name,
            description: "Evaluates an arithmetic expression and returns the number. Supports numbers "
                + "(1.5, 2e3), + - * / % ^ (power), parentheses, the constants pi and e, and the functions "
                + "sqrt abs round floor ceil exp ln log (base 10; log(x, b) for base b) log10 sin cos tan "
                + "(radians) min max pow.",
            inputSchema: schema, risk: .read)
    }

    /// Evaluates `input.expression`.
    /// - Returns: the result as text, or an error output with the parser's message.
    /// - Throws: ``ToolError/invalidInput(tool:violations:)`` when `expression` is missing or not
    ///   a string (callers normally validate first); `CancellationError` when cancelled.
    package func call(_ input: JSONValue, in context: ToolContext) async throws -> ToolOutput {
        try Task.checkCancellation()
        guard let expression = input["expression"]?.stringValue else {
            throw ToolError.invalidInput(
                tool: spec.name,
                violations: [SchemaViolation(path: "$.expression", message: "expected a string")])
        }
        do throws(ExpressionError) {
            return .text(Self.format(try parser.evaluate(expression)))
        } catch {
            return .error(error.description)
        }
    }

    /// A result as the model sees it: whole numbers below 10^15 without a fraction (`42`,
    /// `-3`), anything else with up to 12 significant digits (`0.333333333333`, `1e+20`).
    package static func format(_ value: Double) -> String {
        if value == 0 { return "0" }  // Also turns -0 into 0.
        if value.rounded() == value, Swift.abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.12g", value)
    }
}
