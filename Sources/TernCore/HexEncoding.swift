/// Lower-case hexadecimal text of bytes: digests, key fingerprints, cache keys.
///
/// One table lookup per nibble into a buffer the size of the result. `String(format: "%02x")`
/// per byte, which this replaces, went through Foundation's formatter for every byte: an API
/// key's 32-byte hash cost 32 formatter calls on every authenticated request.
package func lowercaseHex(_ bytes: some Sequence<UInt8>) -> String {
    let digits: StaticString = "0123456789abcdef"
    var out: [UInt8] = []
    out.reserveCapacity(bytes.underestimatedCount * 2)
    digits.withUTF8Buffer { digits in
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
    }
    return String(decoding: out, as: UTF8.self)
}
