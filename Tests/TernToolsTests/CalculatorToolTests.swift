import Testing
import TernCore
import TernTools

@Suite struct CalculatorToolTests {
    let context = ToolContext(contextID: .defaultContext, userID: .localUser)

    @Test func spec_isAReadOnlyCalculator() throws {
        let spec = try CalculatorTool().spec
        #expect(spec.name == "calculator")
        #expect(spec.risk == .read)
        #expect(spec.inputSchema["required"] == .array([.string("expression")]))
        #expect(spec.inputSchema["properties"]?["expression"]?["maxLength"] == .number(1000))
    }

    static let formats: [(Double, String)] = [
        (3, "3"), (-42, "-42"), (-0.0, "0"), (2.5, "2.5"), (1.0 / 3, "0.333333333333"), (0.1 + 0.2, "0.3"),
        (123_456_789_012_345, "123456789012345"), (1e15, "1e+15"), (1e20, "1e+20"), (1e-7, "1e-07"),
        (-2.0 / 3, "-0.666666666667"),
    ]

    @Test(arguments: formats)
    func format_dropsFractionOfWholeNumbersAndKeepsTwelveDigits(_ value: Double, _ text: String) {
        #expect(CalculatorTool.format(value) == text)
    }

    @Test func call_returnsTheResultAsText() async throws {
        let output = try await CalculatorTool().validatedCall(.object(["expression": .string("2 * (3 + 4)")]), in: context)
        #expect(output == .text("14"))
    }

    @Test func call_reportsParserErrorsToTheModel() async throws {
        let tool = try CalculatorTool()
        let output = try await tool.validatedCall(.object(["expression": .string("1 + 2 / 0")]), in: context)
        #expect(output == .error("column 7: division by zero"))
        let unknown = try await tool.call(.object(["expression": .string("2 * tau")]), in: context)
        #expect(unknown.isError)
        #expect(unknown.text == "column 5: unknown constant 'tau'; expected one of e, pi (functions need parentheses)")
    }

    @Test func call_rejectsInputWithoutExpression() async {
        await #expect(
            throws: ToolError.invalidInput(
                tool: "calculator", violations: [SchemaViolation(path: "$.expression", message: "expected a string")])
        ) {
            try await CalculatorTool().call(.object(["expression": .number(1)]), in: context)
        }
    }

    @Test func validatedCall_rejectsOverlongExpressionBeforeParsing() async throws {
        let tool = try CalculatorTool(parser: ExpressionParser(maxLength: 10))
        await #expect(
            throws: ToolError.invalidInput(
                tool: "calculator",
                violations: [SchemaViolation(path: "$.expression", message: "expected at most 10 characters, got 11")])
        ) {
            try await tool.validatedCall(.object(["expression": .string("1+1+1+1+1+1")]), in: context)
        }
    }
}
