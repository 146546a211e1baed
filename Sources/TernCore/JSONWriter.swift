/// Writes compact JSON text as UTF-8 bytes, the way `JSONEncoder` with `.sortedKeys` and
/// `.withoutEscapingSlashes` writes it (byte for byte), without its per-call setup and boxing.
///
/// Build documents with ``value(_:)`` or piece by piece: ``beginObject()``, ``key(_:)`` and a
/// value, ``endObject()``; the writer puts the commas in. Keys written piece by piece appear in
/// the order written, so callers that need sorted output write them sorted.
package struct JSONWriter: Sendable {
    /// The text so far.
    package private(set) var bytes: [UInt8] = []
    /// Whether the next value or key in the current container needs a comma first.
    private var needsComma = false
    /// Whole numbers smaller in magnitude than this are written as integers (`3`, not `3.0`
    /// or `3e+15`). 10^15 matches ``JSONValue``'s `Encodable` form; a protocol whose peers
    /// parse integers strictly (MCP's JSON Schema `integer`) can raise it up to 2^53, the
    /// largest range in which a `Double` holds every whole number.
    package var integerLimit: Double = 1e15
    /// 2^53: every whole number up to this fits a `Double` exactly, so ``integerLimit`` stops here.
    package static let largestExactInteger: Double = 9_007_199_254_740_992

    /// An empty writer; `capacity` reserves room for the expected output.
    package init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    /// The text so far, as a string.
    package var text: String { String(decoding: bytes, as: UTF8.self) }

    // MARK: Structure

    /// Starts an object (`{`).
    package mutating func beginObject() { open(UInt8(ascii: "{")) }

    /// Ends the current object (`}`).
    package mutating func endObject() { close(UInt8(ascii: "}")) }

    /// Starts an array (`[`).
    package mutating func beginArray() { open(UInt8(ascii: "[")) }

    /// Ends the current array (`]`).
    package mutating func endArray() { close(UInt8(ascii: "]")) }

    /// Writes a member's key and the colon; the member's value comes next.
    package mutating func key(_ key: String) {
        separate()
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// Writes JSON text that is already encoded (e.g. a cached fragment) as the next value.
    package mutating func raw(_ json: some Sequence<UInt8>) {
        separate()
        bytes.append(contentsOf: json)
        needsComma = true
    }

    // MARK: Scalars

    /// Writes `null`.
    package mutating func null() {
        raw("null".utf8)
    }

    /// Writes `true` or `false`.
    package mutating func bool(_ value: Bool) {
        raw(value ? "true".utf8 : "false".utf8)
    }

    /// Writes a string, escaped as `JSONEncoder` escapes it.
    package mutating func string(_ value: String) {
        separate()
        writeString(value)
        needsComma = true
    }

    /// Writes an integer.
    package mutating func integer(_ value: Int) {
        raw(String(value).utf8)
    }

    /// Writes a number as ``JSONValue`` encodes it: integral values below ``integerLimit``
    /// (10^15 unless raised) as integers, others as `JSONEncoder` writes a `Double` (`1.5`,
    /// `1e+20`). NaN and infinities, which JSON cannot express, are written as `null`.
    package mutating func number(_ value: Double) {
        guard value.isFinite else { return null() }
        if value.rounded() == value, abs(value) < min(integerLimit, Self.largestExactInteger) {
            return integer(Int(value))
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        raw(text.utf8)
    }

    /// Writes any JSON value, with object keys sorted.
    package mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .number(let number): self.number(number)
        case .string(let text): string(text)
        case .array(let elements):
            beginArray()
            for element in elements { self.value(element) }
            endArray()
        case .object(let members):
            beginObject()
            for (name, member) in members.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
                key(name)
                self.value(member)
            }
            endObject()
        }
    }

    // MARK: Internals

    private mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        needsComma = false
    }

    private mutating func close(_ bracket: UInt8) {
        bytes.append(bracket)
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func writeString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            for (offset, byte) in utf8.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<offset]))
                runStart = offset + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case 0x22, 0x5C: bytes.append(byte)
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                default:
                    bytes.append(contentsOf: [
                        UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), Self.hexDigits[Int(byte >> 4)],
                        Self.hexDigits[Int(byte & 0xF)],
                    ])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

extension JSONValue {
    /// Compact JSON bytes with sorted keys, identical to ``jsonText``'s.
    package var jsonBytes: [UInt8] {
        var writer = JSONWriter()
        writer.value(self)
        return writer.bytes
    }
}
