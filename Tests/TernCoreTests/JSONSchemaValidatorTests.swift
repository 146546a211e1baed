import Foundation
import Testing

@testable import TernCore

/// Decodes JSON text written by a test; an unparsable fixture records an issue.
func json(_ text: String) -> JSONValue {
    do {
        return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    } catch {
        Issue.record("bad JSON fixture \(text): \(error)")
        return .null
    }
}

struct JSONSchemaValidatorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var schema: String
        var value: String
        var violations: [String]
        var testDescription: String { name }

        init(_ name: String, _ schema: String, _ value: String, _ violations: [String] = []) {
            self.name = name
            self.schema = schema
            self.value = value
            self.violations = violations
        }
    }

    static let weather = #"""
        {"type": "object", "required": ["city"], "additionalProperties": false,
         "properties": {
           "city": {"type": "string", "minLength": 2, "maxLength": 20},
           "days": {"type": "integer", "minimum": 1, "maximum": 7},
           "units": {"enum": ["metric", "imperial"]},
           "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2},
           "note": {"type": ["string", "null"]}}}
        """#

    static let accepted: [Case] = [
        Case("all fields", weather, #"{"city": "Paris", "days": 3, "units": "metric", "tags": ["a"], "note": null}"#),
        Case("only required", weather, #"{"city": "Oslo"}"#),
        Case("integer written as 3.0", weather, #"{"city": "Oslo", "days": 3.0}"#),
        Case("bounds are inclusive", weather, #"{"city": "Oslo", "days": 7}"#),
        Case("length counts scalars", weather, #"{"city": "東京"}"#),
        Case("type array", weather, #"{"city": "Oslo", "note": "hi"}"#),
        Case("empty schema accepts anything", "{}", #"[1, "x", null]"#),
        Case("true schema", "true", "42"),
        Case("unknown keywords ignored", #"{"type": "string", "pattern": "^a$", "format": "email", "x-foo": 1}"#, #""b""#),
        Case("malformed keyword ignored", #"{"type": "number", "minimum": "3"}"#, "1"),
        Case("additional properties allowed by default", #"{"type": "object", "properties": {}}"#, #"{"x": 1}"#),
        Case("exclusive bounds", #"{"exclusiveMinimum": 0, "exclusiveMaximum": 1}"#, "0.5"),
        Case("const", #"{"const": {"a": [1]}}"#, #"{"a": [1]}"#),
    ]

    static let rejected: [Case] = [
        Case("wrong member type", weather, #"{"city": 12}"#, ["$.city: expected string, got number"]),
        Case("missing required", weather, #"{"days": 2}"#, [#"$: missing required property "city""#]),
        Case(
            "unexpected property", weather, #"{"city": "Oslo", "country": "NO"}"#,
            [#"$: unexpected property "country""#]),
        Case("not an object", weather, #"["Oslo"]"#, ["$: expected object, got array"]),
        Case("integer with fraction", weather, #"{"city": "Oslo", "days": 2.5}"#, ["$.days: expected integer, got number"]),
        Case("below minimum", weather, #"{"city": "Oslo", "days": 0}"#, ["$.days: expected at least 1, got 0"]),
        Case("above maximum", weather, #"{"city": "Oslo", "days": 8}"#, ["$.days: expected at most 7, got 8"]),
        Case("too short", weather, #"{"city": "X"}"#, ["$.city: expected at least 2 characters, got 1"]),
        Case("too long", weather, #"{"city": "Llanfairpwllgwyngyllgo"}"#, ["$.city: expected at most 20 characters, got 22"]),
        Case(
            "not in enum", weather, #"{"city": "Oslo", "units": "kelvin"}"#,
            [#"$.units: expected one of "metric", "imperial", got "kelvin""#]),
        Case("too few items", weather, #"{"city": "Oslo", "tags": []}"#, ["$.tags: expected at least 1 item, got 0"]),
        Case(
            "too many items", weather, #"{"city": "Oslo", "tags": ["a", "b", "c"]}"#,
            ["$.tags: expected at most 2 items, got 3"]),
        Case("bad item", weather, #"{"city": "Oslo", "tags": ["a", true]}"#, ["$.tags[1]: expected string, got boolean"]),
        Case(
            "type array mismatch", weather, #"{"city": "Oslo", "note": 1}"#,
            ["$.note: expected string or null, got number"]),
        Case(
            "every violation, members by name", weather, #"{"units": "x", "days": "2", "extra": 1}"#,
            [
                #"$: missing required property "city""#,
                "$.days: expected integer, got string",
                #"$: unexpected property "extra""#,
                #"$.units: expected one of "metric", "imperial", got "x""#,
            ]),
        Case(
            "nested path", #"{"properties": {"args": {"properties": {"city": {"type": "string"}}}}}"#,
            #"{"args": {"city": 1}}"#, ["$.args.city: expected string, got number"]),
        Case(
            "odd member name", #"{"properties": {"two words": {"type": "string"}}}"#, #"{"two words": 1}"#,
            [#"$["two words"]: expected string, got number"#]),
        Case(
            "additionalProperties schema", #"{"additionalProperties": {"type": "number"}}"#, #"{"a": 1, "b": "x"}"#,
            ["$.b: expected number, got string"]),
        Case("false schema", #"{"properties": {"a": false}}"#, #"{"a": 1}"#, ["$.a: no value is allowed here"]),
        Case("exclusive minimum", #"{"exclusiveMinimum": 0}"#, "0", ["$: expected more than 0, got 0"]),
        Case("fractional bound", #"{"maximum": 1.5}"#, "2", ["$: expected at most 1.5, got 2"]),
        Case("const mismatch", #"{"const": "on"}"#, #""off""#, [#"$: expected "on", got "off""#]),
    ]

    @Test(arguments: accepted)
    func violations_acceptsValidInput(_ validCase: Case) {
        #expect(JSONSchemaValidator.violations(of: json(validCase.value), against: json(validCase.schema)).isEmpty)
    }

    @Test(arguments: rejected)
    func violations_namePathAndProblem(_ invalidCase: Case) {
        let found = JSONSchemaValidator.violations(of: json(invalidCase.value), against: json(invalidCase.schema))
        #expect(found.map(\.description) == invalidCase.violations)
    }

    @Test func validate_throwsFirstViolationAtGivenRoot() {
        #expect(throws: SchemaViolation(path: "$.args.city", message: "expected string, got number")) {
            try JSONSchemaValidator.validate(
                json(#"{"city": 1}"#), against: json(Self.weather), at: "$.args")
        }
    }
}
