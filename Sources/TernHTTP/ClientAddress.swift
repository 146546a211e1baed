package import Foundation
package import HTTPTypes
package import Hummingbird
import NIOCore

/// An IPv4 or IPv6 address block (`10.0.0.0/8`, `fd00::/8`, or one address), as written in
/// `TERN_TRUSTED_PROXIES`.
package struct AddressBlock: Sendable, Equatable, CustomStringConvertible {
    /// The block's first address in network order: 4 bytes for IPv4, 16 for IPv6.
    let bytes: [UInt8]
    /// Leading bits every address of the block shares with ``bytes``.
    let prefixLength: Int

    /// Parses `address` or `address/prefix`; `nil` when it is neither. Host bits past the prefix
    /// are ignored (`10.1.2.3/8` is `10.0.0.0/8`).
    package init?(parsing text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = ClientAddress.bytes(of: parts[0]) else { return nil }
        let width = address.count * 8
        var prefix = width
        if parts.count == 2 {
            guard parts[1].allSatisfy(\.isASCII), let number = Int(parts[1]), (0...width).contains(number) else {
                return nil
            }
            prefix = number
        }
        bytes = address
        prefixLength = prefix
    }

    /// Whether `address` (network-order bytes) lies in the block; IPv4 never matches an IPv6
    /// block, nor the reverse (IPv4-mapped IPv6 addresses are compared as IPv4).
    func contains(_ address: [UInt8]) -> Bool {
        guard address.count == bytes.count else { return false }
        var remaining = prefixLength
        for (mine, theirs) in zip(bytes, address) where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            if mine & mask != theirs & mask { return false }
            remaining -= 8
        }
        return true
    }

    /// `10.0.0.0/8`, `fd00::/8`.
    package var description: String { "\(ClientAddress.text(of: bytes))/\(prefixLength)" }
}

/// The peers whose `X-Forwarded-For` is believed (`TERN_TRUSTED_PROXIES`): the reverse proxies
/// in front of Tern. Every other peer is the client itself, whatever it sends.
package struct TrustedProxies: Sendable, Equatable {
    /// The trusted blocks; empty trusts no one.
    package var blocks: [AddressBlock]

    /// No proxy is trusted: the client is always the peer.
    package static let none = TrustedProxies(blocks: [])

    package init(blocks: [AddressBlock]) {
        self.blocks = blocks
    }

    /// Parses a comma-separated list of addresses and CIDR blocks (white space around entries
    /// ignored, empty list = none); the error names the first entry that is neither.
    package init(parsing list: String) throws(TrustedProxiesError) {
        var blocks: [AddressBlock] = []
        for entry in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            guard let block = AddressBlock(parsing: entry) else { throw TrustedProxiesError(entry: entry) }
            blocks.append(block)
        }
        self.blocks = blocks
    }

    /// Whether `address` (network-order bytes) is a trusted proxy.
    func trusts(_ address: [UInt8]) -> Bool {
        blocks.contains { $0.contains(address) }
    }

    /// The client of a request from `peer` carrying `forwardedFor` (each `X-Forwarded-For`
    /// field value, in order): the peer itself unless it is trusted; otherwise the right-most
    /// forwarded address that is not a trusted proxy (each trusted hop appends the one it heard
    /// from). An entry that is not an IP address ends the walk at the last trusted hop, which is
    /// then the client: it cannot be told apart from its own client.
    package func clientAddress(peer: String?, forwardedFor: [String]) -> String? {
        guard let peer, var current = ClientAddress.bytes(of: peer) else { return peer }
        guard trusts(current) else { return ClientAddress.text(of: current) }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }
        for hop in hops.reversed() {
            guard let address = ClientAddress.bytes(of: ClientAddress.withoutPort(hop)) else { break }
            current = address
            if !trusts(address) { break }
        }
        return ClientAddress.text(of: current)
    }

    /// Whether a request from `peer` reached the proxy in front of Tern over https: only a
    /// trusted proxy's `X-Forwarded-Proto` counts (its first entry, the hop the browser used);
    /// from anyone else the header is ignored, so a client cannot claim https for itself.
    package func forwardedHTTPS(peer: String?, forwardedProto: [String]) -> Bool {
        guard let peer, let address = ClientAddress.bytes(of: peer), trusts(address) else { return false }
        let first = forwardedProto.first?.split(separator: ",").first
        return first?.trimmingCharacters(in: .whitespaces).lowercased() == "https"
    }
}

/// A `TERN_TRUSTED_PROXIES` entry that is not an IP address or CIDR block.
package struct TrustedProxiesError: Error, Equatable, CustomStringConvertible {
    /// The offending entry, as written.
    package var entry: String

    /// What is wrong, without the key's name.
    package var problem: String {
        "'\(entry)' is not an IP address or CIDR block (e.g. 10.0.0.0/8, 192.168.1.5, fd00::/8)"
    }

    package var description: String { "TERN_TRUSTED_PROXIES: \(problem)" }
}

/// Reading and writing the addresses ``TrustedProxies`` reasons about.
enum ClientAddress {
    /// The address's bytes in network order (4 for IPv4, also for IPv4-mapped IPv6; 16 for
    /// IPv6); `nil` for anything that is not a plain address (scoped IPv6 included).
    static func bytes(of text: some StringProtocol) -> [UInt8]? {
        let text = String(text)
        guard !text.isEmpty, text.count <= 45, !text.contains("%"),
            let address = try? SocketAddress(ipAddress: text, port: 0)  // nil: not an address, which callers handle
        else { return nil }
        switch address {
        case .v4(let v4):
            return withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            let mapped: [UInt8] = Array(repeating: 0, count: 10) + [0xFF, 0xFF]
            return bytes.starts(with: mapped) ? Array(bytes[12...]) : bytes
        case .unixDomainSocket:
            return nil
        }
    }

    /// Canonical text: dotted quad for IPv4, `inet_ntop`'s form for IPv6.
    static func text(of bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        // 16 bytes always make an IPv6 address.
        return (try? SocketAddress(packedIPAddress: ByteBuffer(bytes: bytes), port: 0))?.ipAddress ?? "unknown"
    }

    /// A forwarded hop without its port: `[2001:db8::1]:443` → `2001:db8::1`, `1.2.3.4:80` →
    /// `1.2.3.4` (some proxies add one); anything else unchanged but trimmed.
    static func withoutPort(_ hop: some StringProtocol) -> Substring {
        let hop = hop.trimmingCharacters(in: .whitespaces)[...]
        if hop.hasPrefix("["), let close = hop.firstIndex(of: "]") {
            return hop[hop.index(after: hop.startIndex)..<close]
        }
        if hop.filter({ $0 == ":" }).count == 1, let colon = hop.firstIndex(of: ":") { return hop[..<colon] }
        return hop
    }
}

extension ConnectionWatch {
    /// The one answer to "who is the client of this request" for the whole server (logs, rate
    /// limits): the peer address, or, when the peer is a trusted proxy (`TERN_TRUSTED_PROXIES`),
    /// the right-most untrusted address of `X-Forwarded-For`. `unknown` if the peer is unknown.
    package func clientAddress(of request: Request, context: TernRequestContext) -> String {
        let forwarded = request.headers[values: Self.forwardedFor]
        return trustedProxies.clientAddress(peer: peerAddress(of: context.connection), forwardedFor: forwarded)
            ?? "unknown"
    }

    /// Whether the browser reached Tern over https, as far as Tern can trust: Tern itself serves
    /// plain HTTP, so only a trusted proxy's `X-Forwarded-Proto: https` says so.
    package func isHTTPS(_ request: Request, context: TernRequestContext) -> Bool {
        trustedProxies.forwardedHTTPS(
            peer: peerAddress(of: context.connection), forwardedProto: request.headers[values: Self.forwardedProto])
    }

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!
}
