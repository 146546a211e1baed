import Foundation
import TernCore
import TernTesting
import Testing

@Suite struct JSONWriterTests {
    /// What `JSONValue.jsonText` wrote before the writer: the bytes to match.
    private func reference(_ value: JSONValue) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func strings_everyASCIICharacter_escapedAsJSONEncoderDoes() throws {
        var text = ""
        for byte in 0..<0x80 { text.unicodeScalars.append(Unicode.Scalar(UInt8(byte))) }
        text += "\u{2028}\u{2029}é😀\u{FEFF}e\u{301}"
        let value: JSONValue = [.string(text), ["key \u{1}\"\\/": .string(text)]]
        #expect(value.jsonText == (try reference(value)))
        #expect(JSONValue.string("a/b\n\u{0}").jsonText == #""a/b\n\u0000""#)
    }

    @Test func numbers_writtenAsJSONEncoderWritesThem() throws {
        let numbers: [Double] = [
            0, -0.0, 1, -1, 42, 1e15 - 1, 1e15, -1e15, 999_999_999_999_999.5, 1e16, 1e21, 1e-7, 5e-324, 0.1, 1.5,
            123_456_789.123, 1.797_693_134_862_315_7e308, -2.5e-3, 9_007_199_254_740_993,
        ]
        for number in numbers {
            #expect(JSONValue.number(number).jsonText == (try reference(.number(number))), "\(number)")
        }
        #expect(JSONValue.array([1, 1.5, 1e20]).jsonText == "[1,1.5,1e+20]")
    }

    @Test func objects_keysSortedByUTF8Bytes() throws {
        let value: JSONValue = ["b": 1, "B": 2, "a10": 3, "a9": 4, "_x": 5, "é": 6, "e\u{301}": 7, "z": 8, "": 9]
        #expect(value.jsonText == (try reference(value)))
        let nested: JSONValue = ["b": 1, "a": ["d": true, "c": .null]]
        #expect(nested.jsonText == #"{"a":{"c":null,"d":true},"b":1}"#)
    }

    @Test func generatedValues_matchJSONEncoder() throws {
        var generator = SplitMix64(seed: 6)
        for _ in 0..<400 {
            let value = generator.value(depth: 0)
            #expect(value.jsonText == (try reference(value)))
        }
    }

    @Test func pieces_putCommasBetweenMembersAndElements() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("a")
        writer.beginArray()
        writer.integer(1)
        writer.string("x")
        writer.raw(Array(#"{"pre":1}"#.utf8))
        writer.null()
        writer.endArray()
        writer.key("b")
        writer.bool(false)
        writer.endObject()
        #expect(writer.text == #"{"a":[1,"x",{"pre":1},null],"b":false}"#)
    }

    @Test func textRoundTripsThroughTheReader() throws {
        var generator = SplitMix64(seed: 9)
        for _ in 0..<200 {
            let value = generator.value(depth: 0)
            #expect(try JSONValue(parsing: value.jsonText) == value)
        }
    }
}

extension SplitMix64 {
    mutating func value(depth: Int) -> JSONValue {
        let atoms = ["a", "B", "_", "é", "e\u{301}", "\u{0}", "\u{1f}", "\u{7f}", "\"", "\\", "/", "\n", "😀", "10", "9", " "]
        switch next() % (depth > 2 ? 4 : 6) {
        case 0: return .string((0..<next() % 5).map { _ in pick(atoms) }.joined())
        case 1:
            let number = pick([
                Double(Int64(bitPattern: next()) >> Int64(next() % 63)), Double(bitPattern: next() >> 2), 0.1 * Double(next() % 1000),
            ])
            return .number(number)
        case 2: return .bool(next() % 2 == 0)
        case 3: return .null
        case 4:
            return .object(
                Dictionary(
                    (0..<next() % 5).map { _ in ((0..<next() % 3).map { _ in pick(atoms) }.joined(), value(depth: depth + 1)) },
                    uniquingKeysWith: { first, _ in first }))
        default: return .array((0..<next() % 4).map { _ in value(depth: depth + 1) })
        }
    }
}
