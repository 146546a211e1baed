import Foundation
import Hummingbird
import TernCore

/// A JSON object request body with field readers whose errors name the field.
struct JSONBody {
    let fields: [String: JSONValue]

    static func read(_ request: Request, context: TernRequestContext) async throws -> JSONBody {
        let buffer = try await request.body.collect(upTo: 64 * 1024)
        guard buffer.readableBytes > 0 else { throw APIError.invalid("the request body must be a JSON object", param: nil) }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: buffer))
        } catch {
            throw APIError.invalid("the request body is not valid JSON", param: nil, code: "invalid_json")
        }
        guard let fields = value.objectValue else {
            throw APIError.invalid("the request body must be a JSON object, got \(value.typeName)", param: nil)
        }
        if let path = nulPath(in: value, at: nil) {
            throw APIError.invalid(
                "'\(path)' contains a NUL character (\\u0000), which text fields cannot hold", param: path,
                code: "invalid_value")
        }
        return JSONBody(fields: fields)
    }

    /// The first field (`a.b[2]`) whose key or string holds U+0000, or `nil`. PostgreSQL text cannot
    /// store it (SQLite can), so it is refused here, on every backend alike, before anything is stored.
    static func nulPath(in value: JSONValue, at path: String?) -> String? {
        switch value {
        case .string(let text):
            return text.unicodeScalars.contains("\u{0}") ? (path ?? "") : nil
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let found = nulPath(in: item, at: "\(path ?? "")[\(index)]") { return found }
            }
            return nil
        case .object(let object):
            for (key, item) in object.sorted(by: { $0.key < $1.key }) {
                let child = path.map { "\($0).\(key)" } ?? key
                if key.unicodeScalars.contains("\u{0}") { return child }
                if let found = nulPath(in: item, at: child) { return found }
            }
            return nil
        default:
            return nil
        }
    }

    func string(_ key: String) throws -> String {
        guard let value = try optionalString(key) else {
            throw APIError.invalid("'\(key)' is required", param: key, code: "missing_required_parameter")
        }
        return value
    }

    func optionalString(_ key: String) throws -> String? {
        guard let value = fields[key], value != .null else { return nil }
        guard let string = value.stringValue else {
            throw APIError.invalid("'\(key)' must be a string, got \(value.typeName)", param: key)
        }
        return string
    }

    func optionalEnum<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws -> T?
    where T.RawValue == String {
        guard let raw = try optionalString(key) else { return nil }
        guard let value = T(rawValue: raw) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw APIError.invalid("'\(key)' must be one of \(allowed); got '\(raw)'", param: key)
        }
        return value
    }
}
