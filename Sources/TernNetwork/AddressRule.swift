/// One forbidden block of addresses, with the words a refusal uses for it.
package struct AddressRule: Hashable, Sendable, CustomStringConvertible {
    /// What kind of block it is, for callers that branch or count.
    package enum Kind: String, Hashable, Sendable {
        /// `0.0.0.0`, `::`: "any address"; Linux connects it to the local host.
        case unspecified
        /// `127.0.0.0/8`, `::1`.
        case loopback
        /// RFC 1918 blocks, unique local `fc00::/7`, site-local `fec0::/10`, local-use NAT64.
        case privateUse
        /// `169.254.0.0/16` (cloud metadata lives here), `fe80::/10`.
        case linkLocal
        /// `100.64.0.0/10`, carrier-grade NAT.
        case sharedAddressSpace
        /// `224.0.0.0/4`, `ff00::/8`.
        case multicast
        /// `255.255.255.255`.
        case broadcast
        /// Reserved or deprecated blocks, and IPv6 outside global unicast.
        case reserved
        /// `198.18.0.0/15`, `2001:2::/48`.
        case benchmarking
        /// TEST-NET-1/2/3, `2001:db8::/32`, `3fff::/20`.
        case documentation
        /// `192.0.0.0/24`, `2001::/23`.
        case protocolAssignments
        /// Teredo `2001::/32`.
        case tunnel
    }

    /// The block.
    package var network: IPNetwork
    /// What kind of block it is.
    package var kind: Kind
    /// The phrase a message uses, with its article: `a private address`.
    package var name: String
    /// When true the rule matches every address *outside* ``network`` (of the same family).
    package var matchesOutside: Bool

    /// Builds a rule.
    package init(_ network: IPNetwork, _ kind: Kind, _ name: String, matchesOutside: Bool = false) {
        self.network = network
        self.kind = kind
        self.name = name
        self.matchesOutside = matchesOutside
    }

    /// Whether `address` falls under the rule.
    package func matches(_ address: IPAddress) -> Bool {
        guard address.isIPv6 == network.address.isIPv6 else { return false }
        return network.contains(address) != matchesOutside
    }

    /// `a private address (10.0.0.0/8)`.
    package var description: String {
        matchesOutside ? "\(name) (outside \(network))" : "\(name) (\(network))"
    }
}

/// An IPv6 form that carries an IPv4 address, which is then judged by the IPv4 rules.
package enum IPv4Embedding: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2): the system dials the IPv4 address itself.
    case mapped
    /// `::a.b.c.d` (deprecated, RFC 4291 §2.5.5.1).
    case compatible
    /// `64:ff9b::a.b.c.d`, the well-known NAT64 prefix (RFC 6052): a NAT64 gateway dials the IPv4 address.
    case nat64
    /// `2002:AABB:CCDD::/48`, 6to4 (RFC 3056): the IPv4 address is the tunnel end point.
    case sixToFour

    /// The block of IPv6 addresses that have this form.
    package var network: IPNetwork {
        switch self {
        case .mapped: IPNetwork(IPAddress(groups: [0, 0, 0, 0, 0, 0xffff]), 96)
        case .compatible: IPNetwork(IPAddress(groups: []), 96)
        case .nat64: IPNetwork(IPAddress(groups: [0x64, 0xff9b]), 96)
        case .sixToFour: IPNetwork(IPAddress(groups: [0x2002]), 16)
        }
    }

    /// The IPv4 address that `address` embeds, when it has this form.
    package func embedded(in address: IPAddress) -> IPAddress? {
        guard case .v6(let value) = address, network.contains(address) else { return nil }
        switch self {
        case .mapped, .compatible, .nat64: return .v4(UInt32(truncatingIfNeeded: value))
        case .sixToFour: return .v4(UInt32(truncatingIfNeeded: value >> 80))
        }
    }

    /// `an IPv4-mapped address (::ffff:0:0/96)`.
    package var description: String {
        switch self {
        case .mapped: "an IPv4-mapped address (\(network))"
        case .compatible: "an IPv4-compatible address (\(network))"
        case .nat64: "a NAT64 address (\(network))"
        case .sixToFour: "a 6to4 address (\(network))"
        }
    }
}

/// Why an address is refused: the rule it matched and, for an IPv6 form that embeds an IPv4
/// address, the form and that address.
package struct ForbiddenAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IPv6 form and the IPv4 address it carries.
    package struct Embedding: Hashable, Sendable {
        /// The IPv6 form.
        package var form: IPv4Embedding
        /// The IPv4 address it carries.
        package var ipv4: IPAddress

        /// Builds an embedding.
        package init(form: IPv4Embedding, ipv4: IPAddress) {
            self.form = form
            self.ipv4 = ipv4
        }
    }

    /// The address that was checked.
    package var address: IPAddress
    /// The rule that matched (the IPv4 rule, when the address was judged by what it embeds).
    package var rule: AddressRule
    /// The IPv6 form and the embedded IPv4 address the rule matched, if that is how it matched.
    package var embedding: Embedding?

    /// Builds a verdict.
    package init(address: IPAddress, rule: AddressRule, embedding: Embedding? = nil) {
        self.address = address
        self.rule = rule
        self.embedding = embedding
    }

    /// `a private address (10.0.0.0/8)`, or `an IPv4-mapped address (::ffff:0:0/96) embedding
    /// 10.0.0.1, which is a private address (10.0.0.0/8)`.
    package var description: String {
        guard let embedding else { return rule.description }
        return "\(embedding.form) embedding \(embedding.ipv4), which is \(rule)"
    }
}
