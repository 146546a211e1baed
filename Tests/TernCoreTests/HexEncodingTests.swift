import Foundation
import Testing

@testable import TernCore

struct HexEncodingTests {
    @Test func lowercaseHex_matchesFormatterForEveryByte() {
        let all = (0...255).map { UInt8($0) }
        #expect(lowercaseHex(all) == all.map { String(format: "%02x", $0) }.joined())
    }

    @Test func lowercaseHex_ofNothingIsEmpty() {
        #expect(lowercaseHex([UInt8]()) == "")
    }

    @Test func lowercaseHex_keepsByteOrder() {
        #expect(lowercaseHex([0x00, 0x0f, 0xf0, 0xab]) == "000ff0ab")
    }
}
