import Foundation
import Testing
import TernNetwork

/// A refusal says which rule refused (the port or the address) and what to add to the
/// allow-list, and following the advice opens the URL.
@Suite struct NetworkAllowListHintTests {
    static let resolver = StaticHostResolver(table: [
        "internal.example": [ipAddress("10.0.0.5")], "example.com": [ipAddress("93.184.216.34")],
    ])

    static func guarded(allow: [String] = [], ports: [Int] = [80, 443]) throws -> NetworkGuard {
        NetworkGuard(
            policy: URLPolicy(allowedPorts: ports, allowList: try NetworkAllowEntry.parse(allow)), resolver: resolver)
    }

    static func refusal(_ url: String, allow: [String] = []) async throws -> NetworkPolicyError {
        do {
            let target = try await guarded(allow: allow).authorize(url)
            Issue.record("accepted \(url) as \(target)")
            throw CancellationError()
        } catch let error as NetworkPolicyError {
            return error
        }
    }

    @Test func bareEntry_otherPort_namesThePortRuleAndTheEntryToAdd() async throws {
        let error = try await Self.refusal("http://127.0.0.1:41417/mcp", allow: ["127.0.0.1"])
        #expect(error.reason == .portNotOpenedByEntry(41417, entry: "127.0.0.1", allowed: [80, 443]))
        #expect(
            error.description
                == "refused http://127.0.0.1:41417/mcp: port 41417 is not allowed for 127.0.0.1: its allow-list entry "
                + "\"127.0.0.1\" has no port, so it opens only the allowed ports (80, 443)")
        #expect(
            error.allowListHint
                == "add 127.0.0.1:41417 to TERN_NETWORK_ALLOW to open that port on that host only, "
                + "or 41417 to TERN_NETWORK_PORTS to open it on every host")
        // Both remedies work.
        _ = try await Self.guarded(allow: ["127.0.0.1", "127.0.0.1:41417"]).authorize("http://127.0.0.1:41417/mcp")
        _ = try await Self.guarded(allow: ["127.0.0.1"], ports: [80, 443, 41417]).authorize("http://127.0.0.1:41417/mcp")
    }

    @Test func privateAddress_onAnAllowedPort_namesTheAddressRuleAndTheHost() async throws {
        let error = try await Self.refusal("http://127.0.0.1/mcp")
        #expect(error.description.contains("127.0.0.1 is a loopback address"))
        #expect(
            error.allowListHint
                == "add 127.0.0.1 to TERN_NETWORK_ALLOW to open it on the allowed ports (80, 443), or 127.0.0.1:80 to open this port only")
        _ = try await Self.guarded(allow: ["127.0.0.1"]).authorize("http://127.0.0.1/mcp")
    }

    @Test func privateAddress_onAnotherPort_needsTheExactEntry() async throws {
        let error = try await Self.refusal("http://127.0.0.1:41417/mcp")
        #expect(error.reason == .portNotAllowed(41417, allowed: [80, 443]))
        let hint = try #require(error.allowListHint)
        #expect(hint.hasPrefix("add 127.0.0.1:41417 to TERN_NETWORK_ALLOW (127.0.0.1 is an internal address"))
        #expect(hint.contains("adding 41417 to TERN_NETWORK_PORTS would not be enough"))
        _ = try await Self.guarded(allow: ["127.0.0.1:41417"]).authorize("http://127.0.0.1:41417/mcp")
        await #expect(throws: NetworkPolicyError.self) {
            try await Self.guarded(ports: [80, 443, 41417]).authorize("http://127.0.0.1:41417/mcp")
        }
    }

    @Test func publicHost_onAnotherPort_offersThePortList() async throws {
        let error = try await Self.refusal("http://example.com:8080/")
        #expect(
            error.allowListHint
                == "add 8080 to TERN_NETWORK_PORTS to open the port on every public host, "
                + "or example.com:8080 to TERN_NETWORK_ALLOW to open it on this host only")
        _ = try await Self.guarded(ports: [80, 443, 8080]).authorize("http://example.com:8080/")
    }

    @Test func nameResolvingToAPrivateAddress_namesTheName() async throws {
        let error = try await Self.refusal("http://internal.example/")
        #expect(error.description.contains("internal.example resolves to 10.0.0.5"))
        #expect(error.allowListHint?.hasPrefix("add internal.example to TERN_NETWORK_ALLOW") == true)
        _ = try await Self.guarded(allow: ["internal.example"]).authorize("http://internal.example/")
    }

    @Test func ipv6Loopback_hintIsAValidEntry() async throws {
        let error = try await Self.refusal("http://[::1]:9000/")
        #expect(error.allowListHint?.hasPrefix("add [::1]:9000 to TERN_NETWORK_ALLOW") == true)
        _ = try await Self.guarded(allow: ["[::1]:9000"]).authorize("http://[::1]:9000/")
    }

    @Test func rulesNoEntryCanChange_giveNoHint() async throws {
        #expect(try await Self.refusal("ftp://example.com/").allowListHint == nil)
        #expect(try await Self.refusal("http://user:pw@example.com/").allowListHint == nil)
        #expect(try await Self.refusal("http://nowhere.example/").allowListHint == nil)
    }
}
