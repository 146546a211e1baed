import Foundation
import Testing

@testable import TernPortal

/// The portal's computed UTC timestamps agree with Foundation's formatter.
@Suite struct PortalFormatTests {
    static func reference(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }

    @Test func time_matchesDateFormatter() {
        var instants: [TimeInterval] = [
            0, -1, 59.999, 86_399.5, 951_782_400 /* 2000-02-29 */, 4_107_542_399 /* 2100-02-28 23:59:59 */,
            1_796_688_000.25, -2_208_988_800 /* 1900-01-01 */, 253_402_300_799 /* 9999-12-31 23:59:59 */,
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 { instants.append(TimeInterval(Int64.random(in: -3_000_000_000...5_000_000_000, using: &generator))) }
        for instant in instants {
            let date = Date(timeIntervalSince1970: instant)
            #expect(PortalFormat.time(date) == Self.reference(date), "\(instant)")
        }
        #expect(PortalFormat.day(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29")
        #expect(PortalFormat.shortDay(Date(timeIntervalSince1970: 951_782_400)) == "02-29")
    }
}
