import Foundation

/// One way a JSON value breaks its schema, at a JSONPath like `$.args.city` or `$.tags[2]`.
package struct SchemaViolation: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where: `$` is the whole input; members are `.name` (or `["odd name"]`), elements `[i]`.
    package var path: String
    /// What, e.g. `expected string, got number`.
    package var message: String

    /// Builds a violation.
    package init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// `$.args.city: expected string, got number`.
    package var description: String { "\(path): \(message)" }
}

/// Validates tool input against the subset of JSON Schema that tool specs use.
///
/// Supported keywords: `type` (a name or an array of names; `integer` is a number without a
/// fractional part), `enum`, `const`, `properties`, `required`, `additionalProperties` (`false`
/// or a schema), `items` (a single schema), `minimum`, `maximum`, `exclusiveMinimum`,
/// `exclusiveMaximum` (numeric form), `minLength`/`maxLength` (in Unicode scalars),
/// `minItems`/`maxItems`; boolean schemas `true`/`false`.
///
/// Not supported, and ignored rather than failing: `$ref`/`$defs`, `allOf`/`anyOf`/`oneOf`/
/// `not`, `if`/`then`/`else`, `pattern`, `patternProperties`, `format`, `multipleOf`,
/// `uniqueItems`, `contains`, `prefixItems` and tuple-form `items`, `minProperties`/
/// `maxProperties`, `dependentRequired`/`dependentSchemas`. A supported keyword with a value of
/// the wrong shape (e.g. `"minimum": "3"`) is ignored too. Ignoring errs on the side of calling
/// the tool; a tool must still cope with input its schema could not fully check.
///
/// When a value has the wrong `type`, its other keywords are not checked (they would only
/// repeat the problem).
package enum JSONSchemaValidator {
    /// Every violation, in a stable order (object members by name); empty if `value` is valid.
    package static func violations(
        of value: JSONValue, against schema: JSONValue, at path: String = "$"
    ) -> [SchemaViolation] {
        var found: [SchemaViolation] = []
        check(value, schema, path, into: &found)
        return found
    }

    /// Throws the first violation, if any.
    package static func validate(
        _ value: JSONValue, against schema: JSONValue, at path: String = "$"
    ) throws(SchemaViolation) {
        if let first = violations(of: value, against: schema, at: path).first { throw first }
    }

    // MARK: - Keywords

    private static func check(
        _ value: JSONValue, _ schema: JSONValue, _ path: String, into found: inout [SchemaViolation]
    ) {
        let keywords: [String: JSONValue]
        switch schema {
        case .bool(false):
            found.append(SchemaViolation(path: path, message: "no value is allowed here"))
            return
        case .object(let members): keywords = members
        default: return  // `true` or a malformed schema: anything goes.
        }
        func fail(_ message: String) { found.append(SchemaViolation(path: path, message: message)) }

        if let types = typeNames(keywords["type"]), !types.contains(where: { matches(value, type: $0) }) {
            fail("expected \(types.joined(separator: " or ")), got \(value.typeName)")
            return
        }
        if case .array(let options) = keywords["enum"], !options.contains(value) {
            fail("expected one of \(options.map(render).joined(separator: ", ")), got \(render(value))")
        }
        if let constant = keywords["const"], constant != value {
            fail("expected \(render(constant)), got \(render(value))")
        }

        switch value {
        case .number(let number):
            checkNumber(number, keywords, fail)
        case .string(let string):
            let length = string.unicodeScalars.count
            if let min = integer(keywords["minLength"]), length < min {
                fail("expected at least \(min) \(plural(min, "character")), got \(length)")
            }
            if let max = integer(keywords["maxLength"]), length > max {
                fail("expected at most \(max) \(plural(max, "character")), got \(length)")
            }
        case .array(let elements):
            if let min = integer(keywords["minItems"]), elements.count < min {
                fail("expected at least \(min) \(plural(min, "item")), got \(elements.count)")
            }
            if let max = integer(keywords["maxItems"]), elements.count > max {
                fail("expected at most \(max) \(plural(max, "item")), got \(elements.count)")
            }
            if let itemSchema = keywords["items"], itemSchema.arrayValue == nil {
                for (index, element) in elements.enumerated() {
                    check(element, itemSchema, "\(path)[\(index)]", into: &found)
                }
            }
        case .object(let members):
            checkObject(members, keywords, path, into: &found)
        case .null, .bool:
            break
        }
    }

    private static func checkNumber(
        _ number: Double, _ keywords: [String: JSONValue], _ fail: (String) -> Void
    ) {
        if case .number(let min) = keywords["minimum"], number < min {
            fail("expected at least \(render(.number(min))), got \(render(.number(number)))")
        }
        if case .number(let max) = keywords["maximum"], number > max {
            fail("expected at most \(render(.number(max))), got \(render(.number(number)))")
        }
        if case .number(let min) = keywords["exclusiveMinimum"], number <= min {
            fail("expected more than \(render(.number(min))), got \(render(.number(number)))")
        }
        if case .number(let max) = keywords["exclusiveMaximum"], number >= max {
            fail("expected less than \(render(.number(max))), got \(render(.number(number)))")
        }
    }

    private static func checkObject(
        _ members: [String: JSONValue], _ keywords: [String: JSONValue], _ path: String,
        into found: inout [SchemaViolation]
    ) {
        if case .array(let required) = keywords["required"] {
            for case .string(let name) in required where members[name] == nil {
                found.append(SchemaViolation(path: path, message: "missing required property \"\(name)\""))
            }
        }
        let properties = keywords["properties"]?.objectValue ?? [:]
        for name in members.keys.sorted() {
            guard let member = members[name] else { continue }
            if let propertySchema = properties[name] {
                check(member, propertySchema, memberPath(path, name), into: &found)
            } else if let additional = keywords["additionalProperties"] {
                if additional == .bool(false) {
                    found.append(SchemaViolation(path: path, message: "unexpected property \"\(name)\""))
                } else {
                    check(member, additional, memberPath(path, name), into: &found)
                }
            }
        }
    }

    // MARK: - Helpers

    private static func typeNames(_ keyword: JSONValue?) -> [String]? {
        switch keyword {
        case .string(let name): [name]
        case .array(let names):
            names.compactMap(\.stringValue).isEmpty ? nil : names.compactMap(\.stringValue)
        default: nil
        }
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string),
            ("array", .array), ("object", .object):
            true
        case ("integer", .number(let number)):
            number.isFinite && number.rounded() == number
        case ("null", _), ("boolean", _), ("number", _), ("string", _), ("array", _), ("object", _),
            ("integer", _):
            false
        default:
            true  // An unknown type name constrains nothing.
        }
    }

    private static func integer(_ keyword: JSONValue?) -> Int? {
        guard case .number(let number) = keyword, number >= 0, number.rounded() == number,
            number < Double(Int.max)
        else { return nil }
        return Int(number)
    }

    private static func plural(_ count: Int, _ noun: String) -> String {
        count == 1 ? noun : noun + "s"
    }

    /// `$.city`, or `$["two words"]` for names that are not plain identifiers.
    private static func memberPath(_ path: String, _ name: String) -> String {
        let plain = !name.isEmpty && name.utf8.allSatisfy(ToolSpec.isNameByte)
        return plain ? "\(path).\(name)" : "\(path)[\(render(.string(name)))]"
    }

    /// Compact JSON text of a value, for messages (integers without `.0`).
    private static func render(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a JSONValue cannot fail except for non-finite numbers, which JSON lacks.
        guard let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) else {
            return value.typeName
        }
        return text
    }
}
