import Foundation
import TernCore
import TernTesting
import Testing

@Suite struct JSONValueParsingTests {
    /// What Foundation's `JSONDecoder` makes of `text`: the reference the reader must match.
    private func reference(_ text: String) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    @Test func parse_everyType() throws {
        let value = try JSONValue(
            parsing: #" {"n": null, "t": true, "f": false, "i": -12, "d": 2.5e-3, "s": "x", "a": [1, [], {}], "o": {"k": "v"}} "#)
        #expect(
            value
                == .object([
                    "n": .null, "t": true, "f": false, "i": -12, "d": 0.0025, "s": "x", "a": [1, .array([]), .object([:])],
                    "o": ["k": "v"],
                ]))
        #expect(try JSONValue(parsing: "42") == 42)
        #expect(try JSONValue(parsing: #""top""#) == "top")
    }

    @Test func parse_numbers_matchJSONDecoder() throws {
        let numbers = [
            "0", "-0", "7", "-7", "123456789012345", "1234567890123456", "9007199254740993", "12345678901234567890",
            "-9223372036854775809", "1.5", "0.1", "1e2", "1E+2", "1e-2", "2.5e-3", "1.7976931348623157e308", "1e-310",
            "4.9e-324", "0e-400", "0.000e999",
        ]
        for text in numbers {
            let parsed = try JSONValue(parsing: text)
            #expect(parsed == reference(text), "\(text)")
            if case .number(let number) = parsed { #expect(number.sign == reference(text).flatMap(\.sign), "\(text)") }
        }
        for text in ["1e400", "-1e400", "1.8e308", "2e-324", "1e-400", "01", "-", "1.", ".5", "+1", "1e", "1e+", "0x1", "NaN"] {
            #expect(throws: JSONParseError.self, "\(text)") { try JSONValue(parsing: text) }
            #expect(reference(text) == nil, "\(text)")
        }
    }

    @Test func parse_strings_escapesAndUnicode() throws {
        #expect(try JSONValue(parsing: #""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{c}\n\r\t"))
        #expect(try JSONValue(parsing: #""\u00e9\uD83D\uDE00\u0000é😀""#) == .string("é😀\u{0}é😀"))
        #expect(try JSONValue(parsing: "\"\u{7f}\u{2028}\"") == .string("\u{7f}\u{2028}"))
        for text in [#""\ud800""#, #""\udc00""#, #""\ud800\u0041""#, #""\x""#, #""\u12""#, "\"a\tb\"", "\"open"] {
            #expect(throws: JSONParseError.self, "\(text)") { try JSONValue(parsing: text) }
            #expect(reference(text) == nil, "\(text)")
        }
    }

    @Test func parse_invalidUTF8_isRefused() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x28, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22]] {
            #expect(throws: JSONParseError.self) { try JSONValue(parsing: Data(bytes)) }
        }
    }

    @Test func parse_repeatedKey_keepsTheFirst_likeJSONDecoder() throws {
        let text = #"{"a": 1, "b": {"c": 1, "c": 2}, "a": 2}"#
        #expect(try JSONValue(parsing: text) == ["a": 1, "b": ["c": 1]])
        #expect(try JSONValue(parsing: text) == reference(text))
    }

    @Test func parse_leniencies_matchJSONDecoder() throws {
        for text in ["[1,]", #"{"a":1,}"#, "\u{FEFF}{}", " \n\t\r[ ]\n"] {
            #expect(try JSONValue(parsing: text) == reference(text), "\(text)")
        }
        for text in ["", " ", "[1,,2]", "[,]", "{,}", "[1 2]", #"{"a" 1}"#, #"{"a":}"#, "{1:2}", "1 2", "tru", "nul", "[\u{0C}1]"] {
            #expect(throws: JSONParseError.self, "\(text.debugDescription)") { try JSONValue(parsing: text) }
            #expect(reference(text) == nil, "\(text.debugDescription)")
        }
    }

    @Test func parse_nesting_upTo512Levels() throws {
        let deepest = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        _ = try JSONValue(parsing: deepest)
        let tooDeep = "[" + deepest + "]"
        #expect(throws: JSONParseError(reason: "more than 512 levels of nesting", line: 1, column: 513)) {
            try JSONValue(parsing: tooDeep)
        }
    }

    @Test func parse_errors_sayWhatAndWhere() {
        #expect(throws: JSONParseError(reason: "unexpected character 'n', expected a string key", line: 1, column: 2)) {
            try JSONValue(parsing: "{nope")
        }
        #expect(throws: JSONParseError(reason: "unexpected character '?', expected a value", line: 3, column: 3)) {
            try JSONValue(parsing: "[1,\n\n  ?]")
        }
        #expect(throws: JSONParseError(reason: "unexpected end of text, expected ',' or ']'", line: 1, column: 5)) {
            try JSONValue(parsing: "[1,2")
        }
        #expect(
            JSONParseError(reason: "the number 1e400 does not fit in a Double", line: 1, column: 2).description
                == "the number 1e400 does not fit in a Double at line 1, column 2")
    }

    /// Generated documents, valid and mangled: the reader accepts exactly what `JSONDecoder`
    /// accepts and gives the same values (keys are unique here: see the repeated-key test).
    @Test func parse_generatedDocuments_matchJSONDecoder() throws {
        var generator = SplitMix64(seed: 15)
        let pieces = [
            "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud83d", "\\ude00", "a", "é", "0", "-", ".", "e", "1e400", " ", "\u{01}",
            "null", "tru",
        ]
        for round in 0..<600 {
            let document = generator.document(depth: 0)
            var bytes = Array(document.utf8)
            if round % 2 == 1 {
                let position = Int(generator.next() % UInt64(bytes.count + 1))
                bytes.insert(contentsOf: Array(pieces[Int(generator.next() % UInt64(pieces.count))].utf8), at: position)
            }
            let data = Data(bytes)
            let expected = try? JSONDecoder().decode(JSONValue.self, from: data)
            #expect((try? JSONValue(parsing: data)) == expected, "\(String(decoding: bytes, as: UTF8.self))")
        }
    }
}

/// A small deterministic generator of JSON documents.
extension SplitMix64 {
    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }

    mutating func document(depth: Int) -> String {
        switch next() % (depth > 3 ? 4 : 7) {
        case 0:
            return "\""
                + (0..<next() % 5).map { _ in pick(["a", "\\n", "\\u00e9", "é", "\\\"", "😀", "\\ud83d\\ude00", "\\/", " "]) }.joined()
                + "\""
        case 1: return String(Double(bitPattern: next() >> 2) * (next() % 2 == 0 ? 1 : -1))
        case 2: return String(Int64(bitPattern: next()) >> Int64(next() % 63))
        case 3: return pick(["true", "false", "null", "-2.5e3", "0"])
        case 4, 5:
            let count = Int(next() % 4)
            return "{"
                + (0..<count).map { index in "\"k\(index)\(pick(["", "é", "\\n"]))\": " + document(depth: depth + 1) }.joined(
                    separator: ",") + "}"
        default:
            return "[" + (0..<next() % 4).map { _ in document(depth: depth + 1) }.joined(separator: ", ") + "]"
        }
    }
}

extension JSONValue {
    fileprivate var sign: FloatingPointSign? {
        if case .number(let number) = self { return number.sign }
        return nil
    }
}
