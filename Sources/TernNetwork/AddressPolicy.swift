/// Which addresses a fetch may never reach, unless its host is on the admin allow-list.
///
/// The tables follow the IANA IPv4 and IPv6 Special-Purpose Address Registries. Left open on
/// purpose: the few special blocks IANA marks globally reachable and that serve public traffic
/// (AS112 `192.31.196.0/24`, `192.175.48.0/24`, `2620:4f:8000::/48`; AMT `192.52.193.0/24`).
/// Closed beyond the registries: every IPv6 address outside the global unicast space
/// `2000::/3` (nothing else is routable on the internet today), the deprecated 6to4 relay
/// anycast block `192.88.99.0/24`, and the AWS metadata address `fd00:ec2::254` named on its
/// own (it is unique local anyway). Alibaba's metadata address `100.100.100.200` falls in the
/// shared (CGNAT) block.
///
/// IPv6 forms that carry an IPv4 address are judged by that address: IPv4-mapped
/// `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d` and 6to4
/// `2002:aabb:ccdd::/48`. Mapped, NAT64 and 6to4 forms of a public IPv4 address are allowed;
/// IPv4-compatible addresses are deprecated and always refused. Teredo (`2001::/32`) is refused
/// outright: the tunnel is obsolete, and its client address is obfuscated and reached through a
/// relay, so checking it would not tell where packets end up. The local-use NAT64 prefix
/// `64:ff9b:1::/48` is refused, since its IPv4 position depends on the operator's prefix length.
package enum AddressPolicy {
    /// The IPv4 rules, most specific first so a message names the narrowest block.
    package static let ipv4Rules: [AddressRule] = [
        AddressRule(v4(0, 0, 0, 0, 32), .unspecified, "the unspecified address"),
        AddressRule(v4(0, 0, 0, 0, 8), .reserved, "a reserved \"this network\" address"),
        AddressRule(v4(10, 0, 0, 0, 8), .privateUse, "a private address"),
        AddressRule(v4(100, 64, 0, 0, 10), .sharedAddressSpace, "a shared (CGNAT) address"),
        AddressRule(v4(127, 0, 0, 0, 8), .loopback, "a loopback address"),
        AddressRule(v4(169, 254, 169, 254, 32), .linkLocal, "the link-local cloud metadata address"),
        AddressRule(v4(169, 254, 0, 0, 16), .linkLocal, "a link-local address"),
        AddressRule(v4(172, 16, 0, 0, 12), .privateUse, "a private address"),
        AddressRule(v4(192, 0, 0, 0, 24), .protocolAssignments, "an IETF protocol assignment address"),
        AddressRule(v4(192, 0, 2, 0, 24), .documentation, "a documentation (TEST-NET-1) address"),
        AddressRule(v4(192, 88, 99, 0, 24), .reserved, "a reserved (deprecated 6to4 relay anycast) address"),
        AddressRule(v4(192, 168, 0, 0, 16), .privateUse, "a private address"),
        AddressRule(v4(198, 18, 0, 0, 15), .benchmarking, "a benchmarking address"),
        AddressRule(v4(198, 51, 100, 0, 24), .documentation, "a documentation (TEST-NET-2) address"),
        AddressRule(v4(203, 0, 113, 0, 24), .documentation, "a documentation (TEST-NET-3) address"),
        AddressRule(v4(224, 0, 0, 0, 4), .multicast, "a multicast address"),
        AddressRule(v4(255, 255, 255, 255, 32), .broadcast, "the broadcast address"),
        AddressRule(v4(240, 0, 0, 0, 4), .reserved, "a reserved (future use) address"),
    ]

    /// The IPv6 rules checked before the IPv4-embedding forms, most specific first.
    package static let ipv6Rules: [AddressRule] = [
        AddressRule(v6([], 128), .unspecified, "the unspecified address"),
        AddressRule(v6([0, 0, 0, 0, 0, 0, 0, 1], 128), .loopback, "the loopback address"),
        AddressRule(v6([0x64, 0xff9b, 1], 48), .privateUse, "a local-use NAT64 (private) address"),
        AddressRule(v6([0x100], 64), .reserved, "a reserved (discard-only) address"),
        AddressRule(v6([0x2001], 32), .tunnel, "a Teredo tunnel address"),
        AddressRule(v6([0x2001, 2], 48), .benchmarking, "a benchmarking address"),
        AddressRule(v6([0x2001, 0xdb8], 32), .documentation, "a documentation address"),
        AddressRule(v6([0x2001], 23), .protocolAssignments, "an IETF protocol assignment address"),
        AddressRule(v6([0x3fff], 20), .documentation, "a documentation address"),
        AddressRule(
            v6([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254], 128), .privateUse,
            "the unique local (private) cloud metadata address"),
        AddressRule(v6([0xfc00], 7), .privateUse, "a unique local (private) address"),
        AddressRule(v6([0xfe80], 10), .linkLocal, "a link-local address"),
        AddressRule(v6([0xfec0], 10), .privateUse, "a site-local (deprecated private) address"),
        AddressRule(v6([0xff00], 8), .multicast, "a multicast address"),
    ]

    /// IPv4-compatible addresses whose IPv4 address is public: still refused, the form is deprecated.
    package static let deprecatedCompatible = AddressRule(
        IPv4Embedding.compatible.network, .reserved, "a deprecated IPv4-compatible address")

    /// Every IPv6 address outside global unicast `2000::/3` that no rule above named.
    package static let outsideGlobalUnicast = AddressRule(
        v6([0x2000], 3), .reserved, "a reserved address", matchesOutside: true)

    /// Why `address` may not be fetched, or `nil` if it may.
    package static func classify(_ address: IPAddress) -> ForbiddenAddress? {
        if case .v4 = address {
            return ipv4Rules.first { $0.matches(address) }.map { ForbiddenAddress(address: address, rule: $0) }
        }
        if let rule = ipv6Rules.first(where: { $0.matches(address) }) {
            return ForbiddenAddress(address: address, rule: rule)
        }
        for form in IPv4Embedding.allCases {
            guard let ipv4 = form.embedded(in: address) else { continue }
            if let rule = ipv4Rules.first(where: { $0.matches(ipv4) }) {
                return ForbiddenAddress(address: address, rule: rule, embedding: .init(form: form, ipv4: ipv4))
            }
            return form == .compatible ? ForbiddenAddress(address: address, rule: deprecatedCompatible) : nil
        }
        if outsideGlobalUnicast.matches(address) {
            return ForbiddenAddress(address: address, rule: outsideGlobalUnicast)
        }
        return nil
    }

    private static func v4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ prefix: Int) -> IPNetwork {
        IPNetwork(IPAddress(a, b, c, d), prefix)
    }

    private static func v6(_ groups: [UInt16], _ prefix: Int) -> IPNetwork {
        IPNetwork(IPAddress(groups: groups), prefix)
    }
}
