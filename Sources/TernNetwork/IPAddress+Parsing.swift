extension IPAddress {
    /// Parses canonical address text strictly: a dotted-quad IPv4 address (four decimal parts of
    /// 0–255 without leading zeros, so nothing can be read as octal) or RFC 4291 IPv6 text (one to
    /// four hex digits per group, at most one `::`, an optional dotted-quad tail). No brackets,
    /// zone identifiers, white space or signs. `nil` when `text` is neither.
    package init?(parsing text: some StringProtocol) {
        if let value = Self.parseIPv4(text) {
            self = .v4(value)
        } else if let value = Self.parseIPv6(text) {
            self = .v6(value)
        } else {
            return nil
        }
    }

    /// Strict dotted-quad IPv4 (`93.184.216.34`); `nil` for anything else, including `01.2.3.4`,
    /// `1.2.3`, `0x7f.0.0.1` and a trailing dot.
    package static func parseIPv4(_ text: some StringProtocol) -> UInt32? {
        let parts = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(isDecimalDigit) else { return nil }
            if part.count > 1, part.first == UInt8(ascii: "0") { return nil }
            let number = part.reduce(UInt32(0)) { $0 * 10 + UInt32($1 - UInt8(ascii: "0")) }
            guard number <= 255 else { return nil }
            value = value << 8 | number
        }
        return value
    }

    /// Strict RFC 4291 §2.2 IPv6 text (`2001:db8::1`, `::ffff:10.0.0.1`), any letter case; `nil` for
    /// anything else. `::` must stand for at least one zero group; a dotted-quad tail is allowed
    /// only in the last two groups.
    package static func parseIPv6(_ text: some StringProtocol) -> UInt128? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 2, bytes.count <= 45 else { return nil }
        let colon = UInt8(ascii: ":")
        var doubleColon: Int?
        for index in 0..<(bytes.count - 1) where bytes[index] == colon && bytes[index + 1] == colon {
            guard doubleColon == nil else { return nil }
            doubleColon = index
        }
        let groups: [UInt16]
        if let split = doubleColon {
            guard let head = parseGroups(bytes[..<split], allowIPv4Tail: false),
                let tail = parseGroups(bytes[(split + 2)...], allowIPv4Tail: true),
                head.count + tail.count <= 7
            else { return nil }
            groups = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let all = parseGroups(bytes[...], allowIPv4Tail: true), all.count == 8 else { return nil }
            groups = all
        }
        return groups.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }

    /// Colon-separated groups on one side of `::`; an empty side is no groups. A dotted-quad in
    /// the last position counts as two groups.
    private static func parseGroups(_ bytes: ArraySlice<UInt8>, allowIPv4Tail: Bool) -> [UInt16]? {
        if bytes.isEmpty { return [] }
        let pieces = bytes.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        for (index, piece) in pieces.enumerated() {
            if index == pieces.count - 1, allowIPv4Tail, piece.contains(UInt8(ascii: ".")) {
                guard let value = parseIPv4(String(decoding: piece, as: UTF8.self)) else { return nil }
                groups += [UInt16(value >> 16), UInt16(value & 0xffff)]
                continue
            }
            guard (1...4).contains(piece.count) else { return nil }
            var group: UInt16 = 0
            for byte in piece {
                guard let digit = hexValue(byte) else { return nil }
                group = group << 4 | UInt16(digit)
            }
            groups.append(group)
        }
        return groups
    }

    /// Whether an ASCII byte is `0`–`9`.
    static func isDecimalDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// The value of an ASCII hex digit of either case.
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
