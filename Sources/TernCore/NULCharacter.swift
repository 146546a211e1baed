/// U+0000 in user input. SQLite stores it, PostgreSQL text cannot ("invalid byte sequence for
/// encoding UTF8: 0x00"), so channels refuse it up front, on every backend alike, naming where it
/// was, before anything is stored.
extension String {
    /// Whether the text holds a NUL character (U+0000).
    package var containsNUL: Bool { utf8.contains(0) }
}

extension JSONValue {
    /// Whether any key or string in the value holds a NUL character (U+0000).
    package var containsNUL: Bool {
        switch self {
        case .string(let text): text.containsNUL
        case .array(let items): items.contains { $0.containsNUL }
        case .object(let object): object.contains { $0.key.containsNUL || $0.value.containsNUL }
        case .null, .bool, .number: false
        }
    }

    /// The path (`a.b[2]`, `[0]`; `""` for a top-level string) of the first key or string that
    /// holds U+0000, keys visited in sorted order so the answer is stable; `nil` when there is none.
    ///
    /// - Parameter path: where this value sits, prefixed to the answer; `nil` at the top.
    package func nulPath(at path: String? = nil) -> String? {
        // The common case, nothing found, walks the value once without building paths or sorting.
        guard containsNUL else { return nil }
        switch self {
        case .string:
            return path ?? ""
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let found = item.nulPath(at: "\(path ?? "")[\(index)]") { return found }
            }
            return nil
        case .object(let object):
            for (key, item) in object.sorted(by: { $0.key < $1.key }) {
                let child = path.map { "\($0).\(key)" } ?? key
                if key.containsNUL { return child }
                if let found = item.nulPath(at: child) { return found }
            }
            return nil
        case .null, .bool, .number:
            return nil
        }
    }
}
