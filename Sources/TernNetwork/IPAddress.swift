/// An IPv4 or IPv6 address, as the network guard reasons about it.
///
/// Values are stored most significant byte first, so `10.0.0.1` is `.v4(0x0A00_0001)` and `::1`
/// is `.v6(1)`. ``description`` is canonical text: dotted-quad for IPv4, RFC 5952 for IPv6 (lower
/// case, no leading zeros, the longest run of two or more zero groups as `::`), with a dotted
/// IPv4 tail for IPv4-mapped, IPv4-compatible and NAT64 addresses (`::ffff:10.0.0.1`).
/// Strict parsers live in `IPAddress+Parsing.swift`; the lenient forms a URL host may use
/// (`0x7f.1`, `2130706433`) are read by ``HostNormalizer``.
package enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 address as a 32-bit number, most significant byte first.
    case v4(UInt32)
    /// An IPv6 address as a 128-bit number, most significant byte first.
    case v6(UInt128)

    /// Builds an IPv4 address from its four bytes: `IPAddress(10, 0, 0, 1)`.
    package init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        self = .v4(UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d))
    }

    /// Builds an IPv6 address from up to eight 16-bit groups; missing trailing groups are zero,
    /// so `IPAddress(groups: [0xfe80])` is `fe80::`.
    package init(groups: [UInt16]) {
        var value: UInt128 = 0
        for index in 0..<8 {
            value = value << 16 | UInt128(index < groups.count ? groups[index] : 0)
        }
        self = .v6(value)
    }

    /// Builds an address from 4 (IPv4) or 16 (IPv6) bytes in network order; `nil` for any other count.
    package init?(bytes: some Collection<UInt8>) {
        switch bytes.count {
        case 4: self = .v4(bytes.reduce(0) { $0 << 8 | UInt32($1) })
        case 16: self = .v6(bytes.reduce(0) { $0 << 8 | UInt128($1) })
        default: return nil
        }
    }

    /// The address in network order: 4 bytes for IPv4, 16 for IPv6.
    package var bytes: [UInt8] {
        switch self {
        case .v4(let value): (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) }
        case .v6(let value): (0..<16).map { UInt8(truncatingIfNeeded: value >> (120 - 8 * $0)) }
        }
    }

    /// Whether this is an IPv6 address.
    package var isIPv6: Bool {
        if case .v6 = self { return true }
        return false
    }

    /// Canonical text: `10.0.0.1`, `2001:db8::1`, `::ffff:10.0.0.1`.
    package var description: String {
        switch self {
        case .v4(let value):
            return Self.dottedQuad(value)
        case .v6(let value):
            let groups = Self.groups(of: value)
            let tail = UInt32(truncatingIfNeeded: value)
            if Self.prefersDottedTail(groups) {
                let head = Self.compressed(Array(groups[0..<6]))
                return head.hasSuffix(":") ? head + Self.dottedQuad(tail) : head + ":" + Self.dottedQuad(tail)
            }
            return Self.compressed(groups)
        }
    }

    /// Like ``description`` but IPv6 is all hex groups, as address blocks are written (`::ffff:0:0/96`).
    var hexDescription: String {
        guard case .v6(let value) = self else { return description }
        return Self.compressed(Self.groups(of: value))
    }

    /// The address as a URL host: IPv6 in brackets.
    package var uriHost: String {
        isIPv6 ? "[\(description)]" : description
    }

    /// `a.b.c.d`.
    static func dottedQuad(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

    /// The eight 16-bit groups, most significant first.
    static func groups(of value: UInt128) -> [UInt16] {
        (0..<8).map { UInt16(truncatingIfNeeded: value >> (112 - 16 * $0)) }
    }

    /// IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d` (as glibc's `inet_ntop` decides:
    /// six zero groups and a non-zero seventh, so `::1` stays `::1`) and NAT64 `64:ff9b::a.b.c.d`.
    private static func prefersDottedTail(_ groups: [UInt16]) -> Bool {
        let head = groups[0..<6]
        if head.elementsEqual([0, 0, 0, 0, 0, 0xffff]) { return true }
        if head.allSatisfy({ $0 == 0 }) { return groups[6] != 0 }
        return head.elementsEqual([0x64, 0xff9b, 0, 0, 0, 0])
    }

    /// RFC 5952 §4: hex groups without leading zeros; the longest run (leftmost on a tie) of two
    /// or more zero groups becomes `::`.
    private static func compressed(_ groups: [UInt16]) -> String {
        var best: Range<Int>?
        var index = 0
        while index < groups.count {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < groups.count, groups[end] == 0 { end += 1 }
            if end - index >= 2, end - index > (best?.count ?? 0) { best = index..<end }
            index = end
        }
        func hex(_ slice: ArraySlice<UInt16>) -> String {
            slice.map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard let best else { return hex(groups[...]) }
        return hex(groups[..<best.lowerBound]) + "::" + hex(groups[best.upperBound...])
    }
}

/// A block of addresses, `address/prefixLength` (`10.0.0.0/8`, `fc00::/7`).
package struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    /// The first address of the block.
    package var address: IPAddress
    /// How many leading bits every address of the block shares with ``address``.
    package var prefixLength: Int

    /// Builds a block; `prefixLength` is clamped to the address width.
    package init(_ address: IPAddress, _ prefixLength: Int) {
        self.address = address
        self.prefixLength = max(0, min(prefixLength, address.isIPv6 ? 128 : 32))
    }

    /// Whether `other` is in the block; an IPv4 address is never in an IPv6 block, nor the reverse.
    package func contains(_ other: IPAddress) -> Bool {
        switch (address, other) {
        case (.v4(let network), .v4(let value)):
            prefixLength == 0 || (network ^ value) >> (32 - prefixLength) == 0
        case (.v6(let network), .v6(let value)):
            prefixLength == 0 || (network ^ value) >> (128 - prefixLength) == 0
        default:
            false
        }
    }

    /// `10.0.0.0/8`, `::ffff:0:0/96`.
    package var description: String { "\(address.hexDescription)/\(prefixLength)" }
}
