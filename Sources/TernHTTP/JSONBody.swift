import Foundation
import Hummingbird
import NIOFoundationCompat
import TernCore

/// A JSON object request body with field readers whose errors name the field.
struct JSONBody {
    let fields: [String: JSONValue]

    static func read(_ request: Request, context: TernRequestContext) async throws -> JSONBody {
        let buffer = try await request.body.collect(upTo: 64 * 1024)
        guard buffer.readableBytes > 0 else { throw APIError.invalid("the request body must be a JSON object", param: nil) }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: Data(buffer: buffer))
        } catch {
            throw APIError.invalid("the request body is not valid JSON: \(error)", param: nil, code: "invalid_json")
        }
        guard let fields = value.objectValue else {
            throw APIError.invalid("the request body must be a JSON object, got \(value.typeName)", param: nil)
        }
        try refuseNUL(in: value)
        return JSONBody(fields: fields)
    }

    /// Refuses a body with U+0000 in any key or string with a 400 naming its first such field
    /// (`a.b[2]`). PostgreSQL text cannot store it (SQLite can), so it is refused here, on every
    /// backend alike, before anything is stored. Chat completions bodies use it too.
    static func refuseNUL(in value: JSONValue) throws(APIError) {
        guard let path = value.nulPath() else { return }
        throw .invalid(
            "'\(path)' contains a NUL character (\\u0000), which text fields cannot hold", param: path,
            code: "invalid_value")
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
