import Testing
import TernNetwork

@Suite struct NetworkResolverTests {
    @Test(arguments: [
        ("searxng:8080", NormalizedHost.name("searxng"), 8080 as Int?),
        ("Internal.Example.", .name("internal.example"), nil),
        ("127.0.0.1:9000", .ip(ipAddress("127.0.0.1")), 9000),
        ("127.0.0.1", .ip(ipAddress("127.0.0.1")), nil),
        ("[::1]:9000", .ip(ipAddress("::1")), 9000),
        ("[::1]", .ip(ipAddress("::1")), nil),
        ("::1", .ip(ipAddress("::1")), nil),
        ("fd00::10", .ip(ipAddress("fd00::10")), nil),
    ])
    func allowEntry_parses(text: String, host: NormalizedHost, port: Int?) throws {
        let entry = try NetworkAllowEntry(parsing: text)
        #expect(entry.host == host)
        #expect(entry.port == port)
    }

    @Test(arguments: [
        ("", "the host is empty"),
        ("http://searxng:8080", "not a URL"),
        ("searxng:abc", "port must be a number"),
        ("searxng:70000", "port must be a number"),
        ("searxng:", "port must be a number"),
        ("[::1]x", "after ']'"),
        ("a b", "not allowed in a host"),
        ("bücher.example", "non-ASCII"),
    ])
    func allowEntry_refusesBadEntries(text: String, problem: String) {
        let error = #expect(throws: NetworkAllowListError.self) { try NetworkAllowEntry(parsing: text) }
        #expect(error?.description.contains(problem) == true, "\(String(describing: error))")
    }

    @Test func allowList_reportsEveryBadEntryTogether() throws {
        let error = #expect(throws: NetworkAllowListError.self) { try NetworkAllowEntry.parse(["ok:80", "a b", "x:0"]) }
        #expect(error?.problems.count == 2)
        #expect(error?.problems.allSatisfy { $0.hasPrefix("invalid network allow-list entry") } == true)
        #expect(try NetworkAllowEntry.parse(["searxng:8080", "::1"]).map(\.description) == ["searxng:8080", "[::1]"])
    }

    @Test func systemResolver_resolvesLocalhostToLoopback() async throws {
        let addresses = try await SystemHostResolver().resolve(host: "localhost", port: 80)
        #expect(!addresses.isEmpty)
        #expect(addresses.allSatisfy { AddressPolicy.classify($0)?.rule.kind == .loopback }, "\(addresses)")
    }

    @Test func systemResolver_readsNumericHosts() async throws {
        #expect(try await SystemHostResolver().resolve(host: "127.0.0.1", port: 80) == [ipAddress("127.0.0.1")])
        #expect(try await SystemHostResolver().resolve(host: "::1", port: 80) == [ipAddress("::1")])
    }

    @Test func systemResolver_honoursCancellation() async {
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await SystemHostResolver().resolve(host: "localhost", port: 80)
        }
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test func guard_refusesLocalhostEvenWithTheSystemResolver() async {
        let guarded = NetworkGuard(policy: URLPolicy(), resolver: SystemHostResolver())
        await #expect(throws: NetworkPolicyError.self) { try await guarded.authorize("http://localhost/") }
    }
}
