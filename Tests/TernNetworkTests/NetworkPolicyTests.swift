import Foundation
import Testing
import TernNetwork

/// A resolver that answers from a fixed table and says `notFound` for anything else.
struct StaticHostResolver: HostResolver {
    var table: [String: [IPAddress]]

    func resolve(host: String, port: Int) async throws -> [IPAddress] {
        guard let addresses = table[host] else { throw HostResolutionError.notFound(host) }
        return addresses
    }
}

/// Parses a canonical address in a test table (the tables only hold valid ones).
func ipAddress(_ text: String) -> IPAddress {
    guard let address = IPAddress(parsing: text) else { preconditionFailure("bad test address \(text)") }
    return address
}

@Suite struct NetworkPolicyTests {
    static let resolver = StaticHostResolver(table: [
        "example.com": [ipAddress("93.184.216.34"), ipAddress("2606:2800:220:1:248:1893:25c8:1946")],
        "example.org": [ipAddress("2606:2800:220:1::1")],
        "internal.example": [ipAddress("10.0.0.5")],
        "rebind.example": [ipAddress("93.184.216.34"), ipAddress("127.0.0.1")],
        "rebind6.example": [ipAddress("2606:2800:220:1::1"), ipAddress("fd00::1")],
        "metadata.example": [ipAddress("169.254.169.254")],
        "mapped.example": [ipAddress("::ffff:10.0.0.1")],
        "cgnat.example": [ipAddress("100.64.1.1")],
        "localhost.localdomain": [ipAddress("127.0.0.1"), ipAddress("::1")],
        "nowhere.example": [],
        "searxng": [ipAddress("172.18.0.5")],
        "internal.corp": [ipAddress("10.1.2.3")],
    ])

    static let guarded = NetworkGuard(policy: URLPolicy(), resolver: resolver)

    static let allowListed = NetworkGuard(
        policy: URLPolicy(
            allowList: [
                NetworkAllowEntry(host: .ip(ipAddress("127.0.0.1")), port: 9000),
                NetworkAllowEntry(host: .name("searxng"), port: 8080),
                NetworkAllowEntry(host: .name("internal.corp")),
            ]),
        resolver: resolver)

    /// URLs that must be refused, and a word the refusal must contain.
    static let refusals: [(String, String)] = [
        // Loopback, every spelling of 127.0.0.1.
        ("http://127.0.0.1/", "loopback"),
        ("https://127.255.255.254:443/", "loopback"),
        ("http://2130706433/", "loopback"),
        ("http://017700000001/", "loopback"),
        ("http://0177.0.0.1/", "loopback"),
        ("http://0177.0000.0000.0001/", "loopback"),
        ("http://0x7f.0.0.1/", "loopback"),
        ("http://0x7f000001/", "loopback"),
        ("http://0X7F.0X0.0X0.0X1/", "loopback"),
        ("http://0x7f.1/", "loopback"),
        ("http://127.1/", "loopback"),
        ("http://127.0.1/", "loopback"),
        ("http://127.0.0.1./", "loopback"),
        ("http://%31%32%37.0.0.1/", "loopback"),
        ("http://127.0.0.1%2e/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[0:0:0:0:0:0:0:1]:80/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[::FFFF:7F00:1]/", "loopback"),
        ("http://[::127.0.0.1]/", "loopback"),
        ("http://[64:ff9b::127.0.0.1]/", "loopback"),
        ("http://[2002:7f00:1::]/", "loopback"),
        ("http://localhost/", "localhost"),
        ("http://LOCALHOST./", "localhost"),
        ("http://foo.localhost/", "localhost"),
        ("https://a.b.localhost:443/", "localhost"),
        ("http://loc%61lhost/", "localhost"),
        ("http://localhost.localdomain/", "loopback"),
        // Unspecified and "this network".
        ("http://0.0.0.0/", "unspecified"),
        ("http://0/", "unspecified"),
        ("http://0x0/", "unspecified"),
        ("http://[::]/", "unspecified"),
        ("http://[::ffff:0.0.0.0]/", "unspecified"),
        ("http://0.1.2.3/", "this network"),
        // Private 10/8, 172.16/12, 192.168/16.
        ("http://10.0.0.1/", "private"),
        ("http://167772161/", "private"),
        ("http://012.0.0.1/", "private"),
        ("http://0xa.0.0.1/", "private"),
        ("http://0x0a000001/", "private"),
        ("http://10.1/", "private"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("http://[::ffff:a00:1]/", "private"),
        ("http://[::10.0.0.1]/", "private"),
        ("http://[64:ff9b::a00:1]/", "private"),
        ("http://[2002:a00:1::1]/", "private"),
        ("http://172.16.0.1/", "private"),
        ("http://172.31.255.254/", "private"),
        ("http://[::ffff:172.16.0.1]/", "private"),
        ("http://192.168.0.1/", "private"),
        ("http://3232235521/", "private"),
        ("http://0300.0250.0.1/", "private"),
        ("http://0xc0a80001/", "private"),
        ("http://0xc0.0xa8.0.1/", "private"),
        ("http://192.168.1/", "private"),
        ("http://[::ffff:192.168.0.1]/", "private"),
        ("http://[2002:c0a8:1::]/", "private"),
        ("http://[fc00::1]/", "private"),
        ("http://[fd12:3456:789a::1]/", "private"),
        ("http://[fec0::1]/", "site-local"),
        ("http://[64:ff9b:1::a00:1]/", "local-use NAT64"),
        // Link-local and cloud metadata.
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://2852039166/", "link-local"),
        ("http://0251.0376.0251.0376/", "link-local"),
        ("http://0xa9fea9fe/", "link-local"),
        ("http://0xa9.0xfe.0xa9.0xfe/", "link-local"),
        ("http://169.254.43518/", "link-local"),
        ("http://[::ffff:169.254.169.254]/", "link-local"),
        ("http://[::ffff:a9fe:a9fe]/", "link-local"),
        ("http://[64:ff9b::169.254.169.254]/", "link-local"),
        ("http://[2002:a9fe:a9fe::]/", "link-local"),
        ("http://169.254.0.1/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[FE80::1]/", "link-local"),
        ("http://[fd00:ec2::254]/", "cloud metadata"),
        ("http://[fe80::1%25eth0]/", "zone"),
        ("http://[fe80::1%eth0]/", "zone"),
        // Shared (CGNAT), multicast, broadcast, reserved, benchmarking, documentation.
        ("http://100.64.0.1/", "CGNAT"),
        ("http://100.127.255.254/", "CGNAT"),
        ("http://[::ffff:100.64.0.1]/", "CGNAT"),
        ("http://224.0.0.1/", "multicast"),
        ("http://239.255.255.250/", "multicast"),
        ("http://[ff02::1]/", "multicast"),
        ("http://[ff05::1:3]/", "multicast"),
        ("http://255.255.255.255/", "broadcast"),
        ("http://4294967295/", "broadcast"),
        ("http://[::ffff:255.255.255.255]/", "broadcast"),
        ("http://240.0.0.1/", "reserved"),
        ("http://[100::1]/", "discard-only"),
        ("http://[::2:3:4:5]/", "reserved"),
        ("http://[4000::1]/", "outside 2000::/3"),
        ("http://[::93.184.216.34]/", "deprecated IPv4-compatible"),
        ("http://192.88.99.1/", "6to4 relay"),
        ("http://198.18.0.1/", "benchmarking"),
        ("http://198.19.255.255/", "benchmarking"),
        ("http://[2001:2::1]/", "benchmarking"),
        ("http://192.0.2.1/", "documentation"),
        ("http://198.51.100.7/", "documentation"),
        ("http://203.0.113.9/", "documentation"),
        ("http://[2001:db8::1]/", "documentation"),
        ("http://[3fff::1]/", "documentation"),
        ("http://192.0.0.170/", "IETF protocol assignment"),
        ("http://[2001:10::1]/", "IETF protocol assignment"),
        ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "Teredo"),
        // Names that resolve to forbidden addresses, alone or next to public ones.
        ("http://internal.example/", "private"),
        ("http://rebind.example/", "loopback"),
        ("http://rebind6.example/", "private"),
        ("http://metadata.example/", "link-local"),
        ("http://mapped.example/", "private"),
        ("http://cgnat.example/", "CGNAT"),
        ("http://nowhere.example/", "did not resolve"),
        ("http://unknown.example/", "did not resolve"),
        // Credentials.
        ("http://user:pass@example.com/", "credentials"),
        ("http://user@example.com/", "credentials"),
        ("http://@example.com/", "credentials"),
        ("http://example.com@127.0.0.1/", "credentials"),
        ("https://token:x-oauth-basic@example.com:443/", "credentials"),
        // Schemes.
        ("file:///etc/passwd", "scheme \"file\" is not allowed"),
        ("ftp://example.com/", "scheme \"ftp\" is not allowed"),
        ("gopher://127.0.0.1:70/_GET", "scheme \"gopher\" is not allowed"),
        ("javascript:alert(1)", "scheme \"javascript\" is not allowed"),
        ("dict://127.0.0.1:11211/", "scheme \"dict\" is not allowed"),
        ("HTTPX://example.com/", "scheme \"httpx\" is not allowed"),
        // Ports.
        ("http://example.com:22/", "port 22 is not allowed (80, 443)"),
        ("http://example.com:8080/", "port 8080 is not allowed"),
        ("https://93.184.216.34:6379/", "port 6379 is not allowed"),
        ("http://example.com:0/", "port 0 is not allowed"),
        ("http://example.com:65536/", "port"),
        ("http://example.com:80x/", "port"),
        // Hosts that cannot be read.
        ("http:///etc/passwd", "no host"),
        ("http://exämple.com/", "non-ASCII"),
        ("http://ex%C3%A4mple.com/", "non-ASCII"),
        ("http://example.com\u{301}/", "non-ASCII"),
        ("http://127.0.0.1:\u{301}80/", "non-ASCII"),
        ("http:/\u{301}/127.0.0.1/", "\"//\""),
        ("http://%EF%BC%91%EF%BC%92%EF%BC%97.0.0.1/", "non-ASCII"),
        ("http://127.0.0.1%00.example.com/", "not allowed in a host"),
        ("http://127.0.0.1%3A80/", "not allowed in a host"),
        ("http://example.com%2F@x/", "credentials"),
        ("http://%25%32%65/", "not allowed in a host"),
        ("http://exa%2/", "percent-encoding"),
        ("http://1.2.3.4.5/", "not a valid IPv4 address"),
        ("http://256.0.0.1/", "not a valid IPv4 address"),
        ("http://08.0.0.1/", "not a valid IPv4 address"),
        ("http://127..1/", "not a valid IPv4 address"),
        ("http://example.0x/", "not a valid IPv4 address"),
        ("http://[::1/", "IPv6"),
        ("http://[1:2:3:4:5:6:7:8:9]/", "not a valid IPv6 address"),
        ("http://[::1]x/", "after"),
        ("http://a..b/", "empty label"),
        // URL syntax that parsers disagree on.
        ("http://example.com\\@127.0.0.1/", "backslash"),
        ("http://exa mple.com/", "white space"),
        ("http://example.com/\r\nHost: x", "control characters"),
        ("http:example.com", "\"//\""),
        ("//example.com/", "not an absolute URL"),
        ("", "1 to 8192 bytes"),
    ]

    @Test(arguments: refusals)
    func refuses(url: String, rule: String) async {
        do {
            let authorized = try await Self.guarded.authorize(url)
            Issue.record("accepted \(url) as \(authorized)")
        } catch {
            #expect(error.description.hasPrefix("refused "))
            #expect(error.description.contains(rule), "\(error.description)")
        }
    }

    @Test func refusalCorpus_isLarge() {
        #expect(Self.refusals.count >= 60)
        #expect(Set(Self.refusals.map(\.0)).count == Self.refusals.count)
    }

    /// URLs that must be let through, and the address to dial.
    static let acceptances: [(String, String)] = [
        ("http://93.184.216.34/", "93.184.216.34"),
        ("https://93.184.216.34:443/path?q=1#frag", "93.184.216.34"),
        ("http://1.1.1.1/", "1.1.1.1"),
        ("http://16843009/", "1.1.1.1"),
        ("http://[2606:2800:220:1::1]/", "2606:2800:220:1::1"),
        ("http://[::ffff:93.184.216.34]/", "::ffff:93.184.216.34"),
        ("http://[64:ff9b::93.184.216.34]/", "64:ff9b::93.184.216.34"),
        ("http://[2002:5db8:d822::1]/", "2002:5db8:d822::1"),
        ("http://[2001:200::1]/", "2001:200::1"),
        ("http://172.32.0.1/", "172.32.0.1"),
        ("http://172.15.255.255/", "172.15.255.255"),
        ("http://100.128.0.1/", "100.128.0.1"),
        ("http://198.20.0.1/", "198.20.0.1"),
        ("http://192.169.0.1/", "192.169.0.1"),
        ("http://223.255.255.255/", "223.255.255.255"),
        ("https://example.com/", "93.184.216.34"),
        ("HTTPS://EXAMPLE.COM./index.html", "93.184.216.34"),
        ("http://example.com:80/", "93.184.216.34"),
        ("http://example.com:/", "93.184.216.34"),
        ("https://example.org/", "2606:2800:220:1::1"),
        ("http://ex%61mple.com/", "93.184.216.34"),
        ("http://example.com/\u{301}@127.0.0.1/", "93.184.216.34"),
        ("https://example.com/wiki/Zürich?q=ü", "93.184.216.34"),
    ]

    @Test(arguments: acceptances)
    func accepts(url: String, address: String) async throws {
        let authorized = try await Self.guarded.authorize(url)
        #expect(authorized.address == ipAddress(address))
        #expect(!authorized.target.isAllowListed)
    }

    @Test func check_reportsTheTarget() throws {
        let target = try URLPolicy().check("HTTPS://Example.COM.:443/a/b?c=d#e")
        #expect(target.scheme == "https")
        #expect(target.host == "Example.COM.")
        #expect(target.normalizedHost == .name("example.com"))
        #expect(target.port == 443)
        #expect(target.requestTarget == "/a/b?c=d")
        #expect(target.hostHeader == "example.com")
        let bare = try URLPolicy(allowedPorts: [80, 8443]).check("https://[2606:2800:220:1::1]:8443?x")
        #expect(bare.requestTarget == "/?x")
        #expect(bare.hostHeader == "[2606:2800:220:1::1]:8443")
        let url = try #require(URL(string: "http://0x0a000001/"))
        #expect(
            throws: NetworkPolicyError(
                url: "http://0x0a000001/",
                reason: .forbiddenAddress(
                    ForbiddenAddress(address: ipAddress("10.0.0.1"), rule: AddressPolicy.ipv4Rules[2]), .literal(written: "0x0a000001")),
                allowListHint:
                    "add 10.0.0.1 to TERN_NETWORK_ALLOW to open it on the allowed ports (80, 443), or 10.0.0.1:80 to open this port only")
        ) {
            try URLPolicy().check(url)
        }
    }

    @Test(arguments: [
        ("http://127.0.0.1:9000/", "127.0.0.1"),
        ("http://0x7f000001:9000/health", "127.0.0.1"),
        ("http://searxng:8080/search?q=x", "172.18.0.5"),
        ("http://internal.corp/", "10.1.2.3"),
        ("https://internal.corp/", "10.1.2.3"),
    ])
    func allowList_opensNamedHostsAndPorts(url: String, address: String) async throws {
        let authorized = try await Self.allowListed.authorize(url)
        #expect(authorized.address == ipAddress(address))
        #expect(authorized.target.isAllowListed)
    }

    @Test(arguments: [
        ("http://127.0.0.1:9001/", "port 9001 is not allowed (80, 443)"),
        ("http://127.0.0.1/", "loopback"),
        ("http://127.0.0.2:9000/", "port 9000 is not allowed"),
        ("http://searxng:8081/", "port 8081 is not allowed"),
        ("http://searxng/", "private"),
        ("http://internal.corp:8080/", "port 8080 is not allowed"),
        ("ftp://searxng:8080/", "scheme \"ftp\" is not allowed"),
        ("http://user:pw@searxng:8080/", "credentials"),
        ("http://10.0.0.5/", "private"),
    ])
    func allowList_opensNothingElse(url: String, rule: String) async {
        do {
            let authorized = try await Self.allowListed.authorize(url)
            Issue.record("accepted \(url) as \(authorized)")
        } catch {
            #expect(error.description.contains(rule), "\(error.description)")
        }
    }

    @Test(arguments: [
        ("http://10.0.0.5/", "refused http://10.0.0.5/: 10.0.0.5 is a private address (10.0.0.0/8)"),
        ("ftp://x/", #"refused ftp://x/: scheme "ftp" is not allowed (http, https)"#),
        ("http://example.com:22/", "refused http://example.com:22/: port 22 is not allowed (80, 443)"),
        ("http://0x7f.1/", "refused http://0x7f.1/: 0x7f.1 is 127.0.0.1, a loopback address (127.0.0.0/8)"),
        (
            "http://[::ffff:10.0.0.1]/",
            "refused http://[::ffff:10.0.0.1]/: ::ffff:10.0.0.1 is an IPv4-mapped address (::ffff:0:0/96) embedding 10.0.0.1, which is a private address (10.0.0.0/8)"
        ),
        (
            "http://internal.example/",
            "refused http://internal.example/: internal.example resolves to 10.0.0.5, which is a private address (10.0.0.0/8)"
        ),
        (
            "http://169.254.169.254/",
            "refused http://169.254.169.254/: 169.254.169.254 is the link-local cloud metadata address (169.254.169.254/32)"
        ),
        (
            "http://[fe80::1%25eth0]/",
            #"refused http://[fe80::1%25eth0]/: the host "[fe80::1%25eth0]" is not valid: IPv6 zone identifiers are not allowed"#
        ),
        ("http://foo.localhost/", "refused http://foo.localhost/: foo.localhost is a localhost name, which is always loopback"),
        ("http://user:pass@host/", "refused http://user:pass@host/: credentials in the URL are not allowed"),
    ])
    func refusal_messagesNameTheRule(url: String, message: String) async {
        do {
            let authorized = try await Self.guarded.authorize(url)
            Issue.record("accepted \(url) as \(authorized)")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func checkResolved_refusesIfAnyAddressIsForbidden_andPinsTheFirst() throws {
        let policy = URLPolicy()
        let target = try policy.check("https://pinned.example/")
        #expect(
            try policy.checkResolved(target, addresses: [ipAddress("93.184.216.34"), ipAddress("1.1.1.1")]) == ipAddress("93.184.216.34"))
        for bad in [[ipAddress("93.184.216.34"), ipAddress("10.0.0.1")], [ipAddress("192.168.1.1"), ipAddress("1.1.1.1")], []] {
            #expect(throws: NetworkPolicyError.self) { try policy.checkResolved(target, addresses: bad) }
        }
    }

    @Test func resolverFailure_isReported() async {
        struct Failing: HostResolver {
            func resolve(host: String, port: Int) async throws -> [IPAddress] {
                throw HostResolutionError.timedOut(host, .seconds(5))
            }
        }
        let guarded = NetworkGuard(policy: URLPolicy(), resolver: Failing())
        await #expect(
            throws: NetworkPolicyError(
                url: "http://slow.example/",
                reason: .resolutionFailed("slow.example", detail: "looking up slow.example took longer than 5.0 seconds"))
        ) {
            try await guarded.authorize("http://slow.example/")
        }
    }
}
