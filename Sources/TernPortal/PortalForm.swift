import Foundation
import Hummingbird
import NIOCore

/// The fields of a posted form (`application/x-www-form-urlencoded`, what browsers and portal.js
/// send), at most 64 KiB.
struct PortalForm: Sendable {
    static let maxBytes = 64 * 1024

    let fields: [String: String]

    init(fields: [String: String]) {
        self.fields = fields
    }

    /// Reads the body; anything but a URL-encoded form, or more than 64 KiB, is a 4xx failure.
    static func read(_ request: Request) async throws -> PortalForm {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/x-www-form-urlencoded") else {
            throw PortalFailure(
                .unsupportedMediaType, "The portal accepts forms (application/x-www-form-urlencoded), not '\(type)'.")
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBytes)
        } catch is NIOTooManyBytesError {
            throw PortalFailure(.contentTooLarge, "The form is larger than 64 KiB.")
        }
        return PortalForm(fields: parse(String(buffer: body)))
    }

    /// `a=1&b=x+y` → `["a": "1", "b": "x y"]`; the first of repeated names wins.
    static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (part: Substring) in
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part)
            }
            let name = decode(parts[0])
            if fields[name] == nil { fields[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return fields
    }

    /// The trimmed value of `name`, `nil` when absent or empty.
    func value(_ name: String) -> String? {
        guard let value = fields[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    /// The trimmed value of `name`, or a 400 naming the field by its `label`.
    func require(_ name: String, label: String) throws -> String {
        guard let value = value(name) else { throw PortalFailure.invalid("\(label) is required.") }
        return value
    }

    /// One of a `RawRepresentable`'s values, or a 400 listing the allowed ones.
    func require<Value: RawRepresentable & CaseIterable>(_ name: String, label: String, as: Value.Type) throws -> Value
    where Value.RawValue == String {
        let raw = try require(name, label: label)
        guard let value = Value(rawValue: raw) else {
            let allowed = Value.allCases.map(\.rawValue).joined(separator: ", ")
            throw PortalFailure.invalid("\(label) must be one of \(allowed), not '\(raw)'.")
        }
        return value
    }
}
