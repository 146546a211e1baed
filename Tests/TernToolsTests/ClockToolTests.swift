import Foundation
import Testing
import TernCore
import TernTools

private struct FixedClock: WallClock {
    let date: Date
    func now() -> Date { date }
}

@Suite struct ClockToolTests {
    let context = ToolContext(contextID: .defaultContext, userID: .localUser)
    /// 2024-03-10T14:30:00.750Z, a Sunday; Europe is on winter time, the US switched that morning.
    static let instant = Date(timeIntervalSince1970: 1_710_081_000.75)

    static let zones: [(String?, String, String)] = [
        (nil, "UTC", #"{"iso8601":"2024-03-10T14:30:00+00:00","timezone":"UTC","unix":1710081000,"weekday":"Sunday"}"#),
        (
            nil, "Europe/Berlin",
            #"{"iso8601":"2024-03-10T15:30:00+01:00","timezone":"Europe/Berlin","unix":1710081000,"weekday":"Sunday"}"#
        ),
        (
            "america/new_york", "UTC",
            #"{"iso8601":"2024-03-10T10:30:00-04:00","timezone":"America/New_York","unix":1710081000,"weekday":"Sunday"}"#
        ),
        (
            "Asia/Kolkata", "UTC",
            #"{"iso8601":"2024-03-10T20:00:00+05:30","timezone":"Asia/Kolkata","unix":1710081000,"weekday":"Sunday"}"#
        ),
        (
            "Pacific/Kiritimati", "Europe/Berlin",
            #"{"iso8601":"2024-03-11T04:30:00+14:00","timezone":"Pacific/Kiritimati","unix":1710081000,"weekday":"Monday"}"#
        ),
    ]

    @Test(arguments: zones)
    func call_tellsTimeInTheZone(_ input: String?, _ defaultZone: String, _ expected: String) async throws {
        let tool = try ClockTool(clock: FixedClock(date: Self.instant), settings: ["timezone": .string(defaultZone)])
        let arguments: JSONValue = .object(input.map { ["timezone": .string($0)] } ?? [:])
        let output = try await tool.validatedCall(arguments, in: context)
        #expect(output == .text(expected))
    }

    @Test func call_defaultsToUTC() async throws {
        let tool = try ClockTool(clock: FixedClock(date: Date(timeIntervalSince1970: 0)))
        let output = try await tool.call(.object([:]), in: context)
        #expect(output.text.contains(#""iso8601":"1970-01-01T00:00:00+00:00""#))
        #expect(output.text.contains(#""weekday":"Thursday""#))
        #expect(tool.spec.name == "clock")
        #expect(tool.spec.risk == .read)
    }

    @Test func call_reportsUnknownZoneToTheModel() async throws {
        let tool = try ClockTool(clock: FixedClock(date: Self.instant))
        let output = try await tool.validatedCall(.object(["timezone": .string("Mars/Olympus_Mons")]), in: context)
        #expect(output.isError)
        #expect(output.text.contains(#"unknown time zone "Mars/Olympus_Mons""#))
    }

    static let badSettings: [([String: JSONValue], String)] = [
        (["timezone": .string("Mars/Base")], #"settings.timezone: unknown time zone "Mars/Base""#),
        (["timezone": .number(1)], "settings.timezone: expected string, got number"),
        (["timezon": .string("UTC")], #"unknown setting "timezon"; known: timezone"#),
    ]

    @Test(arguments: badSettings)
    func init_rejectsBadSettings(_ settings: [String: JSONValue], _ reason: String) {
        #expect(throws: ToolError.invalidSpec(name: "clock", reason: reason)) {
            try ClockTool(clock: FixedClock(date: Self.instant), settings: settings)
        }
    }
}
