package import Foundation

/// Why JSON text could not be parsed, and where (1-based line and column of the byte).
package struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong, e.g. "unexpected character '}'".
    package var reason: String
    /// The line of the offending byte, from 1.
    package var line: Int
    /// The column (in bytes) of the offending byte, from 1.
    package var column: Int

    /// An error with its reason and position.
    package init(reason: String, line: Int, column: Int) {
        self.reason = reason
        self.line = line
        self.column = column
    }

    package var description: String { "\(reason) at line \(line), column \(column)" }
}

extension JSONValue {
    /// Parses UTF-8 JSON text in one pass, without Foundation's `JSONDecoder` (which decodes a
    /// `JSONValue` by trying each type in turn and throwing for every miss).
    ///
    /// Accepts what `JSONDecoder` accepts, with the same results: a top-level scalar, a leading
    /// byte-order mark, a trailing comma in arrays and objects; a repeated key keeps its
    /// *first* value; numbers that overflow or underflow a `Double` are errors; strings must be
    /// valid UTF-8 with no unescaped control characters and no lone surrogate escapes; at most
    /// 512 levels of nesting.
    /// - Throws: ``JSONParseError`` naming the first problem and its position.
    package init(parsing data: Data) throws(JSONParseError) {
        let parsed = data.withUnsafeBytes { raw in
            Result { () throws(JSONParseError) in try JSONValue(parsingUTF8: raw) }
        }
        self = try parsed.get()
    }

    /// Parses JSON text; see ``init(parsing:)-(Data)``.
    package init(parsing text: String) throws(JSONParseError) {
        var text = text
        let parsed = text.withUTF8 { bytes in
            Result { () throws(JSONParseError) in try JSONValue(parsingUTF8: UnsafeRawBufferPointer(bytes)) }
        }
        self = try parsed.get()
    }

    /// Parses UTF-8 JSON text held in `bytes`; see ``init(parsing:)-(Data)``.
    package init(parsingUTF8 bytes: UnsafeRawBufferPointer) throws(JSONParseError) {
        var reader = JSONReader(bytes.bindMemory(to: UInt8.self))
        self = try reader.document()
    }
}

/// A recursive-descent JSON reader over UTF-8 bytes.
private struct JSONReader {
    private static let maxDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    /// Reused for strings with escapes.
    private var scratch: [UInt8] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func document() throws(JSONParseError) -> JSONValue {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
        skipWhitespace()
        guard index < bytes.count else { throw failure("the text is empty") }
        let value = try value()
        skipWhitespace()
        guard index == bytes.count else { throw failure("unexpected \(describe(at: index)) after the value") }
        return value
    }

    // MARK: Values

    private mutating func value() throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw failure("unexpected end of text, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default: throw failure("unexpected \(describe(at: index)), expected a value")
        }
    }

    private mutating func object() throws(JSONParseError) -> JSONValue {
        try enter()
        index += 1  // {
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if consume(UInt8(ascii: "}")) {
            depth -= 1
            return .object(members)
        }
        while true {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw failure("unexpected \(describe(at: index)), expected a string key")
            }
            let key = try string()
            skipWhitespace()
            guard consume(UInt8(ascii: ":")) else { throw failure("unexpected \(describe(at: index)), expected ':'") }
            skipWhitespace()
            let member = try value()
            // JSONDecoder keeps the first of repeated keys; so does this reader.
            if members[key] == nil { members[key] = member }
            skipWhitespace()
            if consume(UInt8(ascii: ",")) {
                skipWhitespace()
                // JSONDecoder accepts a trailing comma.
                if consume(UInt8(ascii: "}")) { break }
                continue
            }
            if consume(UInt8(ascii: "}")) { break }
            throw failure("unexpected \(describe(at: index)), expected ',' or '}'")
        }
        depth -= 1
        return .object(members)
    }

    private mutating func array() throws(JSONParseError) -> JSONValue {
        try enter()
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if consume(UInt8(ascii: "]")) {
            depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try value())
            skipWhitespace()
            if consume(UInt8(ascii: ",")) {
                skipWhitespace()
                if consume(UInt8(ascii: "]")) { break }
                continue
            }
            if consume(UInt8(ascii: "]")) { break }
            throw failure("unexpected \(describe(at: index)), expected ',' or ']'")
        }
        depth -= 1
        return .array(elements)
    }

    private mutating func enter() throws(JSONParseError) {
        depth += 1
        guard depth <= Self.maxDepth else { throw failure("more than \(Self.maxDepth) levels of nesting") }
    }

    private mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw failure("unexpected end of text, expected '\(word)'") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw failure("unexpected \(describe(at: index + offset)), expected '\(word)'")
        }
        index += count
    }

    // MARK: Numbers

    private mutating func number() throws(JSONParseError) -> Double {
        let start = index
        var negative = false
        if bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        let integerStart = index
        guard index < bytes.count, isDigit(bytes[index]) else {
            throw failure("unexpected \(describe(at: index)) in a number, expected a digit")
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) {
                throw failure("a number must not have a leading zero")
            }
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        let integerDigits = index - integerStart
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw failure("unexpected \(describe(at: index)) in a number, expected a digit after '.'")
            }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw failure("unexpected \(describe(at: index)) in a number, expected a digit in the exponent")
            }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        // Up to 15 digits an integer is exact in a Double: no need for strtod.
        if isInteger, integerDigits <= 15 {
            var magnitude = 0
            for position in integerStart..<index { magnitude = magnitude * 10 + Int(bytes[position] &- 48) }
            return negative ? -Double(magnitude) : Double(magnitude)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            index = start
            throw failure("the number \(text) does not fit in a Double")
        }
        // JSONDecoder refuses a number that rounds to zero unless it is one.
        if value == 0, !hasZeroMantissa(start..<index) {
            index = start
            throw failure("the number \(text) does not fit in a Double")
        }
        return value
    }

    /// Whether the digits before the exponent are all zeros (so 0 is the exact value).
    private func hasZeroMantissa(_ range: Range<Int>) -> Bool {
        for position in range {
            let byte = bytes[position]
            if byte | 0x20 == UInt8(ascii: "e") { return true }
            if byte >= UInt8(ascii: "1"), byte <= UInt8(ascii: "9") { return false }
        }
        return true
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    // MARK: Strings

    private mutating func string() throws(JSONParseError) -> String {
        index += 1  // opening quote
        let start = index
        var ored: UInt8 = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
                // ASCII needs no validation.
                let text = ored < 0x80 ? String(decoding: slice, as: UTF8.self) : try utf8String(slice, at: start)
                index += 1
                return text
            }
            ored |= byte
            if byte == UInt8(ascii: "\\") { return try escapedString(from: start) }
            if byte < 0x20 { throw failure("unescaped control character U+\(hex4(UInt16(byte))) in a string") }
            index += 1
        }
        throw failure("unexpected end of text in a string")
    }

    /// The rest of a string that has escapes, decoded into `scratch`.
    private mutating func escapedString(from start: Int) throws(JSONParseError) -> String {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                let text = try scratch.withUnsafeBufferPointer { (buffer) throws(JSONParseError) -> String in
                    try utf8String(buffer, at: start)
                }
                return text
            case UInt8(ascii: "\\"):
                try escape()
            case ..<0x20:
                throw failure("unescaped control character U+\(hex4(UInt16(byte))) in a string")
            default:
                scratch.append(byte)
                index += 1
            }
        }
        throw failure("unexpected end of text in a string")
    }

    /// Decodes the escape at `index` (a backslash) into `scratch`.
    private mutating func escape() throws(JSONParseError) {
        guard index + 1 < bytes.count else { throw failure("unexpected end of text in a string") }
        let code = bytes[index + 1]
        let simple: UInt8? =
            switch code {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): code
            case UInt8(ascii: "b"): 0x08
            case UInt8(ascii: "f"): 0x0C
            case UInt8(ascii: "n"): 0x0A
            case UInt8(ascii: "r"): 0x0D
            case UInt8(ascii: "t"): 0x09
            default: nil
            }
        if let simple {
            scratch.append(simple)
            index += 2
            return
        }
        guard code == UInt8(ascii: "u") else { throw failure("invalid escape '\\\(describeByte(code))' in a string") }
        let escapeStart = index
        let unit = try hexUnit(at: index + 2)
        index += 6
        var scalarValue = UInt32(unit)
        if (0xD800..<0xDC00).contains(unit) {
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else {
                index = escapeStart
                throw failure("the escape \\u\(hex4(unit)) starts a surrogate pair without its second half")
            }
            let low = try hexUnit(at: index + 2)
            guard (0xDC00..<0xE000).contains(low) else {
                index = escapeStart
                throw failure("the escape \\u\(hex4(unit)) starts a surrogate pair without its second half")
            }
            index += 6
            scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
        } else if (0xDC00..<0xE000).contains(unit) {
            index = escapeStart
            throw failure("the escape \\u\(hex4(unit)) is a lone second half of a surrogate pair")
        }
        // Not a surrogate here, so always a valid scalar.
        let scalar = Unicode.Scalar(scalarValue)!
        scratch.append(contentsOf: scalar.utf8)
    }

    private mutating func hexUnit(at position: Int) throws(JSONParseError) -> UInt16 {
        guard position + 4 <= bytes.count else {
            index = min(position, bytes.count)
            throw failure("unexpected end of text in a \\u escape")
        }
        var unit: UInt16 = 0
        for offset in 0..<4 {
            let byte = bytes[position + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default:
                index = position + offset
                throw failure("unexpected \(describe(at: index)) in a \\u escape, expected a hex digit")
            }
            unit = unit << 4 | UInt16(digit)
        }
        return unit
    }

    private func utf8String(_ buffer: UnsafeBufferPointer<UInt8>, at start: Int) throws(JSONParseError) -> String {
        guard let text = String(validating: buffer, as: UTF8.self) else {
            throw failure("a string is not valid UTF-8", at: start)
        }
        return text
    }

    // MARK: Helpers

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private func describe(at position: Int) -> String {
        guard position < bytes.count else { return "end of text" }
        return "character '\(describeByte(bytes[position]))'"
    }

    private func describeByte(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16, uppercase: true)
    }

    private func hex4(_ unit: UInt16) -> String {
        let digits = String(unit, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }

    private func failure(_ reason: String, at position: Int? = nil) -> JSONParseError {
        let end = min(position ?? index, bytes.count)
        var line = 1
        var lineStart = 0
        for offset in 0..<end where bytes[offset] == 0x0A {
            line += 1
            lineStart = offset + 1
        }
        return JSONParseError(reason: reason, line: line, column: end - lineStart + 1)
    }
}
