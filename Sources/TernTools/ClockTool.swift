import Foundation
package import TernCore

/// Tells the model the current date and time, which it cannot know by itself.
///
/// Input `{"timezone": "Europe/Berlin"}` (optional; an IANA name, matched case-insensitively);
/// output JSON text such as
/// `{"iso8601":"2024-03-10T15:30:00+01:00","timezone":"Europe/Berlin","unix":1710081000,"weekday":"Sunday"}`.
/// An unknown time zone gives an error output naming it.
package struct ClockTool: Tool {
    /// The tool's name, `clock`.
    package static let name = "clock"
    /// The settings `tools.yaml` may give under `tools.clock.settings`.
    package static let settingNames: Set<String> = ["timezone"]

    /// Name, description, schema and risk (`.read`).
    package let spec: ToolSpec
    private let clock: any WallClock
    private let defaultZone: (name: String, zone: TimeZone)

    /// A clock reading `clock`, answering in `defaultTimeZone` when the input names none.
    /// - Throws: ``ToolError/invalidSpec(name:reason:)`` when `defaultTimeZone` is unknown.
    package init(clock: any WallClock, defaultTimeZone: String = "UTC") throws(ToolError) {
        guard let zone = Self.timeZone(named: defaultTimeZone) else {
            throw .invalidSpec(
                name: Self.name, reason: "settings.timezone: unknown time zone \"\(defaultTimeZone)\"")
        }
        self.clock = clock
        self.defaultZone = zone
        let schema: JSONValue = .object([
            "type": .string("object"),
            "properties": .object([
                "timezone": .object([
                    "type": .string("string"),
                    "minLength": .number(1),
                    "maxLength": .number(64),
                    "description": .string("IANA time zone, e.g. \"America/New_York\"; default \(zone.name)."),
                ])
            ]),
            "additionalProperties": .bool(false),
        ])
        spec = try ToolSpec(
            name: Self.name,
            description: "Returns the current date and time (ISO 8601 with offset, weekday, Unix seconds) "
                + "in a time zone.",
            inputSchema: schema, risk: .read)
    }

    /// A clock configured from `tools.yaml` settings: `timezone` (default `UTC`).
    /// - Throws: ``ToolError/invalidSpec(name:reason:)`` for an unknown setting, a `timezone`
    ///   that is not a string, or an unknown time zone.
    package init(clock: any WallClock, settings: [String: JSONValue]) throws(ToolError) {
        if let unknown = settings.keys.sorted().first(where: { !Self.settingNames.contains($0) }) {
            throw .invalidSpec(
                name: Self.name,
                reason: "unknown setting \"\(unknown)\"; known: \(Self.settingNames.sorted().joined(separator: ", "))")
        }
        var defaultTimeZone = "UTC"
        if let value = settings["timezone"] {
            guard let name = value.stringValue else {
                throw .invalidSpec(name: Self.name, reason: "settings.timezone: expected string, got \(value.typeName)")
            }
            defaultTimeZone = name
        }
        try self.init(clock: clock, defaultTimeZone: defaultTimeZone)
    }

    /// The current time in the requested zone, as JSON text.
    /// - Throws: ``ToolError/invalidInput(tool:violations:)`` when `timezone` is not a string
    ///   (callers normally validate first); `CancellationError` when cancelled.
    package func call(_ input: JSONValue, in context: ToolContext) async throws -> ToolOutput {
        try Task.checkCancellation()
        var zone = defaultZone
        if let value = input["timezone"], value != .null {
            guard let name = value.stringValue else {
                throw ToolError.invalidInput(
                    tool: spec.name,
                    violations: [SchemaViolation(path: "$.timezone", message: "expected string, got \(value.typeName)")])
            }
            guard let named = Self.timeZone(named: name) else {
                return .error(
                    "unknown time zone \"\(name)\"; expected an IANA name such as \"Europe/Berlin\" or \"UTC\"")
            }
            zone = named
        }
        return .text(Self.render(clock.now(), in: zone.zone, named: zone.name))
    }

    /// The zone called `name` and its canonical spelling: an exact IANA identifier, or one that
    /// matches ignoring case (`europe/berlin`).
    static func timeZone(named name: String) -> (name: String, zone: TimeZone)? {
        guard !name.isEmpty, name.count <= 64 else { return nil }
        if let zone = TimeZone(identifier: name) { return (name, zone) }
        let lowered = name.lowercased()
        guard let canonical = TimeZone.knownTimeZoneIdentifiers.first(where: { $0.lowercased() == lowered }),
            let zone = TimeZone(identifier: canonical)
        else { return nil }
        return (canonical, zone)
    }

    /// `{"iso8601": …, "timezone": …, "unix": …, "weekday": …}` with sorted keys.
    static func render(_ date: Date, in zone: TimeZone, named name: String) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let offsetMinutes = zone.secondsFromGMT(for: date) / 60
        let sign = offsetMinutes < 0 ? "-" : "+"
        let iso =
            "\(pad(parts.year ?? 1970, 4))-\(pad(parts.month ?? 1))-\(pad(parts.day ?? 1))"
            + "T\(pad(parts.hour ?? 0)):\(pad(parts.minute ?? 0)):\(pad(parts.second ?? 0))"
            + "\(sign)\(pad(abs(offsetMinutes) / 60)):\(pad(abs(offsetMinutes) % 60))"
        let weekday = parts.weekday.map { weekdays[($0 - 1) % 7] } ?? ""
        let object: [String: JSONValue] = [
            "iso8601": .string(iso), "timezone": .string(name), "weekday": .string(weekday),
            "unix": .number(date.timeIntervalSince1970.rounded(.down)),
        ]
        return JSONValue.object(object).jsonText
    }

    /// English names, Sunday first like `Calendar`'s `weekday`; not localised, so the model
    /// always sees the same words.
    private static let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    private static func pad(_ number: Int, _ width: Int = 2) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
