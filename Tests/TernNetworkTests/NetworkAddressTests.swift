import Testing
import TernNetwork

@Suite struct NetworkAddressTests {
    /// Valid IPv6 text and its RFC 5952 form.
    @Test(arguments: [
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("2001:db8::1", "2001:db8::1"),
        ("2001:DB8:0:0:8:800:200C:417A", "2001:db8::8:800:200c:417a"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("ff01::101", "ff01::101"),
        ("fe80::1", "fe80::1"),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
        ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),
        ("0:0:0:0:0:0:0:0", "::"),
        ("::ffff:192.0.2.128", "::ffff:192.0.2.128"),
        ("::ffff:c000:280", "::ffff:192.0.2.128"),
        ("::13.1.68.3", "::13.1.68.3"),
        ("64:ff9b::192.0.2.33", "64:ff9b::192.0.2.33"),
        ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
        ("::0.0.0.1", "::1"),
        ("0:0:0:0:0:ffff:0.0.0.0", "::ffff:0.0.0.0"),
    ])
    func ipv6_parsesValidText(text: String, canonical: String) throws {
        let address = try #require(IPAddress(parsing: text))
        #expect(address.isIPv6)
        #expect(address.description == canonical)
        #expect(IPAddress(parsing: canonical) == address)
    }

    @Test(arguments: [
        "", ":", ":::", "1:::2", "1::2::3", ":1::2", "1::2:", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7",
        "12345::", "g::1", "::1.2.3", "::1.2.3.256", "::01.2.3.4", "1.2.3.4::", "::1.2.3.4:5",
        "1:2:3:4:5:6:7:1.2.3.4", "fe80::1%eth0", "fe80::1%25eth0", "[::1]", " ::1", "::1 ", "::+1",
        "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::8", "::ffff:0x7f.0.0.1", "::-1",
    ])
    func ipv6_refusesInvalidText(text: String) {
        #expect(IPAddress.parseIPv6(text) == nil)
        #expect(IPAddress(parsing: text) == nil)
    }

    @Test func ipv4_strictParserTakesOnlyDottedQuads() {
        #expect(IPAddress(parsing: "93.184.216.34") == IPAddress(93, 184, 216, 34))
        #expect(IPAddress(parsing: "255.255.255.255") == .v4(.max))
        #expect(IPAddress(parsing: "0.0.0.0") == .v4(0))
        for text in ["01.2.3.4", "1.2.3", "256.1.1.1", "1.2.3.4.", "0x1.2.3.4", "1..2.3", "+1.2.3.4", "1.2.3.4 ", "2130706433"] {
            #expect(IPAddress(parsing: text) == nil, "\(text)")
        }
    }

    @Test func bytes_roundTrip() {
        let v6 = IPAddress(groups: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])
        #expect(v6.bytes == [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1])
        #expect(IPAddress(bytes: v6.bytes) == v6)
        #expect(IPAddress(bytes: [10, 0, 0, 1]) == IPAddress(10, 0, 0, 1))
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
        #expect(v6.uriHost == "[2001:db8::1]")
    }

    /// Hosts as written and what they normalise to.
    @Test(arguments: [
        ("127.0.0.1", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("017700000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"), ("0x7f.0.0.1", "127.0.0.1"), ("0x7f000001", "127.0.0.1"),
        ("0X7F.1", "127.0.0.1"), ("127.1", "127.0.0.1"), ("127.0.1", "127.0.0.1"), ("127.0.0.1.", "127.0.0.1"),
        ("0x7f.0x0.0x0.0x1", "127.0.0.1"), ("00000177.0.0.01", "127.0.0.1"), ("%31%32%37%2E0.0.1", "127.0.0.1"),
        ("10.0.0.1", "10.0.0.1"), ("167772161", "10.0.0.1"), ("012.0.0.1", "10.0.0.1"), ("0xa.0.0.1", "10.0.0.1"),
        ("0x0a000001", "10.0.0.1"), ("10.1", "10.0.0.1"), ("10.0.1", "10.0.0.1"),
        ("169.254.169.254", "169.254.169.254"), ("2852039166", "169.254.169.254"), ("0xa9fea9fe", "169.254.169.254"),
        ("0251.0376.0251.0376", "169.254.169.254"), ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
        ("169.254.43518", "169.254.169.254"), ("169.16689662", "169.254.169.254"),
        ("192.168.0.1", "192.168.0.1"), ("3232235521", "192.168.0.1"), ("0300.0250.0.1", "192.168.0.1"),
        ("0xc0a80001", "192.168.0.1"), ("0xc0.0xa8.0.1", "192.168.0.1"), ("192.168.1", "192.168.0.1"),
        ("192.11010049", "192.168.0.1"), ("0", "0.0.0.0"), ("0x", "0.0.0.0"), ("4294967295", "255.255.255.255"),
        ("[::1]", "::1"), ("[::FFFF:7F00:1]", "::ffff:127.0.0.1"), ("[0:0:0:0:0:0:0:1]", "::1"),
    ])
    func normalize_readsEveryAddressSpelling(host: String, address: String) throws {
        #expect(try HostNormalizer.normalize(host) == .ip(ipAddress(address)))
    }

    @Test(arguments: [
        ("Example.COM", "example.com"), ("example.com.", "example.com"), ("LOCALHOST.", "localhost"),
        ("ex%61mple.com", "example.com"), ("searxng", "searxng"), ("my_host-1.internal", "my_host-1.internal"),
        ("0x7f.example.com", "0x7f.example.com"), ("1.2.3.4.example", "1.2.3.4.example"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ])
    func normalize_lowercasesNames(host: String, name: String) throws {
        #expect(try HostNormalizer.normalize(host) == .name(name))
    }

    @Test(arguments: [
        ("", HostNormalizer.Failure.empty), (".", .empty), ("bücher.example", .nonASCII), ("b%C3%BCcher.example", .nonASCII),
        ("[fe80::1%25eth0]", .zoneIdentifier), ("[fe80::1%eth0]", .zoneIdentifier), ("[%3a%3a1]", .invalidIPv6), ("[::1", .invalidIPv6),
        ("[1.2.3.4]", .invalidIPv6), ("[v1.x]", .invalidIPv6), ("a%zz", .malformedPercentEncoding), ("a%2", .malformedPercentEncoding),
        ("a b", .forbiddenCharacter(" ")), ("a%20b", .forbiddenCharacter(" ")), ("a%252e", .forbiddenCharacter("%")),
        ("a*b", .forbiddenCharacter("*")), ("1.2.3.4.5", .invalidIPv4), ("256.1.1.1", .invalidIPv4), ("1.16777216", .invalidIPv4),
        ("4294967296", .invalidIPv4), ("09", .invalidIPv4), ("0x1g.1", .invalidIPv4), ("foo.1", .invalidIPv4),
        ("a..b", .invalidName("it has an empty label")),
    ])
    func normalize_refusesWhatBrowsersRefuse(host: String, failure: HostNormalizer.Failure) {
        #expect(throws: failure) { try HostNormalizer.normalize(host) }
    }

    /// One address per rule, and the kind it must be classified as.
    @Test(arguments: [
        ("0.0.0.0", AddressRule.Kind.unspecified), ("0.255.255.255", .reserved), ("10.255.255.255", .privateUse),
        ("100.64.0.0", .sharedAddressSpace), ("100.127.255.255", .sharedAddressSpace), ("127.0.0.1", .loopback),
        ("169.254.169.254", .linkLocal), ("169.254.255.255", .linkLocal), ("172.16.0.0", .privateUse),
        ("172.31.255.255", .privateUse), ("192.0.0.8", .protocolAssignments), ("192.0.2.255", .documentation),
        ("192.88.99.1", .reserved), ("192.168.255.255", .privateUse), ("198.18.0.0", .benchmarking),
        ("198.19.255.255", .benchmarking), ("198.51.100.1", .documentation), ("203.0.113.255", .documentation),
        ("224.0.0.0", .multicast), ("239.255.255.255", .multicast), ("240.0.0.0", .reserved),
        ("255.255.255.254", .reserved), ("255.255.255.255", .broadcast),
        ("::", .unspecified), ("::1", .loopback), ("64:ff9b:1::1", .privateUse), ("100::ffff", .reserved),
        ("2001::1", .tunnel), ("2001:2::1", .benchmarking), ("2001:db8:ffff::1", .documentation),
        ("2001:1ff::1", .protocolAssignments), ("3fff:fff::1", .documentation), ("fc00::", .privateUse),
        ("fdff:ffff::1", .privateUse), ("fe80::", .linkLocal), ("febf::1", .linkLocal), ("fec0::1", .privateUse),
        ("ff00::", .multicast), ("::ffff:127.0.0.1", .loopback), ("::192.168.0.1", .privateUse),
        ("::8.8.8.8", .reserved), ("64:ff9b::10.1.1.1", .privateUse), ("2002:ac10:1::", .privateUse),
        ("1::", .reserved), ("4000::", .reserved), ("e000::1", .reserved),
    ])
    func classify_namesTheRule(address: String, kind: AddressRule.Kind) throws {
        let forbidden = try #require(AddressPolicy.classify(ipAddress(address)), "\(address) was allowed")
        #expect(forbidden.rule.kind == kind, "\(forbidden)")
    }

    @Test(arguments: [
        "1.1.1.1", "8.8.8.8", "93.184.216.34", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0",
        "126.255.255.255", "128.0.0.0", "169.253.255.255", "169.255.0.0", "172.15.255.255", "172.32.0.0",
        "192.0.1.255", "192.0.3.0", "192.167.255.255", "192.169.0.0", "198.17.255.255", "198.20.0.0",
        "223.255.255.255", "2606:2800:220:1::1", "2a00:1450:4001::1", "2001:200::1", "2001:db9::1",
        "2002:5db8:d822::1", "::ffff:1.1.1.1", "64:ff9b::8.8.8.8", "3fff:1000::1", "2c0f:f248::1",
    ])
    func classify_allowsPublicAddresses(address: String) {
        #expect(AddressPolicy.classify(ipAddress(address)) == nil)
    }

    @Test func ipv4Embedding_readsTheEmbeddedAddress() {
        #expect(IPv4Embedding.mapped.embedded(in: ipAddress("::ffff:10.0.0.1")) == ipAddress("10.0.0.1"))
        #expect(IPv4Embedding.nat64.embedded(in: ipAddress("64:ff9b::a9fe:a9fe")) == ipAddress("169.254.169.254"))
        #expect(IPv4Embedding.sixToFour.embedded(in: ipAddress("2002:c0a8:0001:1::1")) == ipAddress("192.168.0.1"))
        #expect(IPv4Embedding.sixToFour.embedded(in: ipAddress("2003::1")) == nil)
        #expect(IPv4Embedding.mapped.embedded(in: ipAddress("10.0.0.1")) == nil)
    }
}
