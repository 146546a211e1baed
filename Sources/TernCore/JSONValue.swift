import Foundation

/// Any JSON value, for tool arguments, schemas and pass-through fields.
package enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Decodes any JSON value through a `Decoder`. `JSONDecoder` cannot say which type comes
    /// next, so each miss costs a thrown error: the types are tried from the most to the least
    /// frequent in chat traffic (string, number, object, bool, array). To read JSON text, use
    /// ``init(parsing:)-(Data)``, which reads each value once.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not a JSON value")
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value.rounded() == value, abs(value) < 1e15 {
                try container.encode(Int64(value))
            } else {
                try container.encode(value)
            }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The JSON type name, for error messages ("expected string, got number").
    package var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// The string payload, if this is a string.
    package var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The members, if this is an object.
    package var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The elements, if this is an array.
    package var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// A member of an object; `nil` for other values or a missing key.
    package subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }
}

extension JSONValue {
    /// Compact JSON text with sorted keys (stable, for storing and for tool arguments), as
    /// `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes` writes it; NaN and
    /// infinite numbers, which JSON cannot express, become `null`.
    package var jsonText: String {
        var writer = JSONWriter()
        writer.value(self)
        return writer.text
    }

    /// Parses JSON text into a value.
    /// - Throws: ``JSONParseError`` for text that is not JSON.
    package init(jsonText: String) throws {
        try self.init(parsing: jsonText)
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    /// A string literal is a JSON string (schemas and tests read like JSON).
    package init(stringLiteral value: String) { self = .string(value) }
    /// An integer literal is a JSON number.
    package init(integerLiteral value: Int) { self = .number(Double(value)) }
    /// A float literal is a JSON number.
    package init(floatLiteral value: Double) { self = .number(value) }
    /// A boolean literal is a JSON boolean.
    package init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An array literal is a JSON array.
    package init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// A dictionary literal is a JSON object (a repeated key keeps the last value).
    package init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
