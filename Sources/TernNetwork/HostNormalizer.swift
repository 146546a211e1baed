/// A URL host after normalisation: an address, or a lower-case DNS name without a trailing dot.
package enum NormalizedHost: Hashable, Sendable, CustomStringConvertible {
    /// The host is an address literal, in whatever spelling it was written.
    case ip(IPAddress)
    /// The host is a name to resolve: lower case, ASCII, without a trailing dot.
    case name(String)

    /// The address or the name, without brackets.
    package var description: String {
        switch self {
        case .ip(let address): address.description
        case .name(let name): name
        }
    }

    /// The host as a URL or `Host` header writes it: IPv6 in brackets.
    package var uriHost: String {
        switch self {
        case .ip(let address): address.uriHost
        case .name(let name): name
        }
    }
}

/// Reads a URL host the way browsers (the WHATWG URL host parser), curl and `getaddrinfo` would,
/// so the address rules see the address that would actually be dialled, however it is spelt.
///
/// - `[…]` is IPv6, parsed strictly; a zone identifier (`%25eth0`, `%eth0`) is refused.
/// - Otherwise the host is percent-decoded once, must then be ASCII (IDNA is not supported), is
///   lower-cased and loses one trailing dot. Only letters, digits, `-`, `_` and `.` may remain.
/// - A host whose last label is a number (`1`, `0x7f`) is an IPv4 address in the inet_aton /
///   WHATWG forms: one to four parts, each decimal, octal (leading `0`) or hex (`0x`), the last
///   part filling the remaining bytes (`127.1`, `10.0.1`, `2130706433`, `0x7f000001`,
///   `0177.0.0.1`). If it does not parse as one, the host is refused, as browsers refuse it,
///   rather than handed to DNS.
/// - Anything else is a DNS name: labels of 1 to 63 characters, 253 in all.
package enum HostNormalizer {
    /// Why a host could not be read.
    package enum Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// Nothing between `//` and the path.
        case empty
        /// Non-ASCII characters, written or percent-encoded.
        case nonASCII
        /// An IPv6 zone identifier such as `%25eth0`.
        case zoneIdentifier
        /// A `%` not followed by two hex digits.
        case malformedPercentEncoding
        /// A character no host name may contain (after percent-decoding).
        case forbiddenCharacter(Character)
        /// The last label is a number but the host is not a valid IPv4 address.
        case invalidIPv4
        /// Brackets around something that is not IPv6 text.
        case invalidIPv6
        /// A DNS name that breaks a length or label rule.
        case invalidName(String)

        /// What is wrong, for the refusal message.
        package var description: String {
            switch self {
            case .empty: "the host is empty"
            case .nonASCII:
                "it contains non-ASCII characters; internationalised domain names (IDNA) are not supported, "
                    + "use the ASCII (xn--) form"
            case .zoneIdentifier: "IPv6 zone identifiers are not allowed"
            case .malformedPercentEncoding: "it has malformed percent-encoding"
            case .forbiddenCharacter(let character):
                "the character \"\(NetworkPolicyError.printable(String(character)))\" is not allowed in a host"
            case .invalidIPv4: "it ends in a number but is not a valid IPv4 address"
            case .invalidIPv6: "it is not a valid IPv6 address"
            case .invalidName(let detail): detail
            }
        }
    }

    /// Normalises `host` as written in a URL (brackets included for IPv6, no port).
    package static func normalize(_ host: String) throws(Failure) -> NormalizedHost {
        guard !host.isEmpty else { throw .empty }
        guard host.unicodeScalars.allSatisfy(\.isASCII) else { throw .nonASCII }
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count >= 2 else { throw .invalidIPv6 }
            let inner = host.dropFirst().dropLast()
            if let percent = inner.firstIndex(of: "%") {
                throw IPAddress.parseIPv6(inner[..<percent]) == nil ? .invalidIPv6 : .zoneIdentifier
            }
            guard let value = IPAddress.parseIPv6(inner) else { throw .invalidIPv6 }
            return .ip(.v6(value))
        }
        var text = try percentDecoded(host).lowercased()
        if let bad = text.first(where: { !isHostCharacter($0) }) { throw .forbiddenCharacter(bad) }
        if text.hasSuffix(".") { text.removeLast() }
        guard !text.isEmpty else { throw .empty }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        if let last = labels.last, endsInNumber(last) {
            guard let value = parseIPv4Forms(labels) else { throw .invalidIPv4 }
            return .ip(.v4(value))
        }
        if labels.contains(where: \.isEmpty) { throw .invalidName("it has an empty label") }
        if labels.contains(where: { $0.count > 63 }) { throw .invalidName("a label is longer than 63 characters") }
        if text.count > 253 { throw .invalidName("it is longer than 253 characters") }
        return .name(text)
    }

    /// Decodes `%XX` once; the result must be ASCII. A `%` left after decoding (`%2525`) is then
    /// refused as a forbidden character, so double encoding cannot smuggle anything through.
    private static func percentDecoded(_ text: String) throws(Failure) -> String {
        guard text.contains("%") else { return text }
        var bytes: [UInt8] = []
        var input = text.utf8[...]
        while let byte = input.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = input.popFirst().flatMap(IPAddress.hexValue),
                let low = input.popFirst().flatMap(IPAddress.hexValue)
            else { throw .malformedPercentEncoding }
            bytes.append(high << 4 | low)
        }
        guard bytes.allSatisfy({ $0 < 0x80 }) else { throw .nonASCII }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isHostCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "-_.".contains(character))
    }

    /// WHATWG "ends in a number": the last label is all digits, or `0x` followed by hex digits.
    private static func endsInNumber(_ label: Substring) -> Bool {
        guard !label.isEmpty else { return false }
        return label.utf8.allSatisfy(IPAddress.isDecimalDigit) || (label.hasPrefix("0x") && number(label) != nil)
    }

    /// The WHATWG IPv4 parser (which accepts what inet_aton accepts, and `0x` alone as 0).
    private static func parseIPv4Forms(_ labels: [Substring]) -> UInt32? {
        guard labels.count <= 4 else { return nil }
        var numbers: [UInt64] = []
        for label in labels {
            guard let value = number(label) else { return nil }
            numbers.append(value)
        }
        guard numbers.dropLast().allSatisfy({ $0 <= 255 }), let last = numbers.last,
            last < UInt64(1) << (8 * (5 - numbers.count))
        else { return nil }
        var value = last
        for (index, part) in numbers.dropLast().enumerated() {
            value += part << (8 * (3 - index))
        }
        return UInt32(value)
    }

    /// One IPv4 part: `0x…` hex, `0…` octal, otherwise decimal; values past 2³² saturate (they are
    /// refused by the caller anyway). `nil` for an empty part or a digit outside the radix.
    private static func number(_ label: Substring) -> UInt64? {
        guard !label.isEmpty else { return nil }
        var digits = label.utf8[...]
        var radix: UInt64 = 10
        if label.hasPrefix("0x") {
            radix = 16
            digits = digits.dropFirst(2)
        } else if label.count > 1, label.hasPrefix("0") {
            radix = 8
            digits = digits.dropFirst()
        }
        var value: UInt64 = 0
        for byte in digits {
            guard let digit = IPAddress.hexValue(byte).map(UInt64.init), digit < radix else { return nil }
            value = min(value * radix + digit, UInt64(1) << 33)
        }
        return value
    }
}
