import Foundation
package import Hummingbird

/// A request's query parameters decoded as browsers and form encoders write them
/// (`application/x-www-form-urlencoded`): `+` is a space, then percent-escapes are decoded. A
/// portal search form sends "billing team" as `q=billing+team`; Hummingbird's
/// `uri.queryParameters` leaves the `+`, so the search looked for "billing+team".
package struct FormQuery: Sendable {
    private var values: [String: String] = [:]

    /// The first value of each name in `query` (the raw text after `?`).
    package init(_ query: String?) {
        for pair in (query ?? "").split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            if values[name] == nil { values[name] = parts.count > 1 ? Self.decode(parts[1]) : "" }
        }
    }

    /// The value of `name`, if the query has it.
    package subscript(_ name: String) -> String? { values[name] }

    /// `+` as a space, then percent-decoding; a malformed escape is kept as written.
    static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}

extension Request {
    /// The query parameters, form-decoded (``FormQuery``).
    package var formQuery: FormQuery { FormQuery(uri.query) }
}
