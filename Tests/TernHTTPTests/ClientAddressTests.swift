import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import TernHTTP

/// The one client-address helper: `X-Forwarded-For` only from `TERN_TRUSTED_PROXIES`.
@Suite struct ClientAddressTests {
    static let proxies = try! TrustedProxies(parsing: "10.0.0.0/8, 192.168.1.5, fd00::/8")

    @Test func untrustedPeer_isTheClient_whateverItForwards() {
        #expect(Self.proxies.clientAddress(peer: "203.0.113.7", forwardedFor: ["1.2.3.4"]) == "203.0.113.7")
        #expect(TrustedProxies.none.clientAddress(peer: "10.0.0.1", forwardedFor: ["1.2.3.4"]) == "10.0.0.1")
    }

    @Test func trustedPeer_namesTheRightmostUntrustedHop() {
        // The client forged the left-most entry; the trusted proxies appended the rest.
        let forwarded = ["6.6.6.6, 198.51.100.9", "10.1.2.3"]
        #expect(Self.proxies.clientAddress(peer: "10.0.0.1", forwardedFor: forwarded) == "198.51.100.9")
        #expect(Self.proxies.clientAddress(peer: "192.168.1.5", forwardedFor: ["198.51.100.9"]) == "198.51.100.9")
        #expect(Self.proxies.clientAddress(peer: "fd00::1", forwardedFor: ["2001:db8::7"]) == "2001:db8::7")
    }

    @Test func trustedPeer_withoutForwarding_isTheClient() {
        #expect(Self.proxies.clientAddress(peer: "10.0.0.1", forwardedFor: []) == "10.0.0.1")
        // Every hop trusted: the left-most one is as far as anyone can tell.
        #expect(Self.proxies.clientAddress(peer: "10.0.0.1", forwardedFor: ["10.9.9.9"]) == "10.9.9.9")
    }

    @Test func garbageHop_endsTheWalkAtTheLastTrustedHop() {
        #expect(Self.proxies.clientAddress(peer: "10.0.0.1", forwardedFor: ["unknown"]) == "10.0.0.1")
        #expect(Self.proxies.clientAddress(peer: "10.0.0.1", forwardedFor: ["1.2.3.4, <script>"]) == "10.0.0.1")
    }

    @Test func hopsWithPorts_andMappedAddresses_areNormalised() {
        #expect(Self.proxies.clientAddress(peer: "10.0.0.1", forwardedFor: ["198.51.100.9:4711"]) == "198.51.100.9")
        #expect(Self.proxies.clientAddress(peer: "10.0.0.1", forwardedFor: ["[2001:DB8::7]:443"]) == "2001:db8::7")
        #expect(Self.proxies.clientAddress(peer: "::ffff:10.0.0.1", forwardedFor: ["198.51.100.9"]) == "198.51.100.9")
        #expect(Self.proxies.clientAddress(peer: "::ffff:203.0.113.7", forwardedFor: []) == "203.0.113.7")
    }

    @Test func blocks_matchByPrefix() throws {
        let block = try #require(AddressBlock(parsing: "10.1.2.3/15"))
        #expect(block.description == "10.1.2.3/15")
        #expect(block.contains([10, 1, 255, 255]))
        #expect(block.contains([10, 0, 0, 1]))
        #expect(!block.contains([10, 2, 0, 1]))
        let all = try #require(AddressBlock(parsing: "::/0"))
        #expect(all.contains(Array(repeating: 0xAB, count: 16)))
        #expect(!all.contains([1, 2, 3, 4]))
    }

    @Test(arguments: ["10.0.0.0/33", "fd00::/129", "10.0.0/8", "example.com", "10.0.0.0/-1", "fe80::1%eth0", "1.2.3.4/ 8"])
    func badEntries_areRejectedByName(_ entry: String) {
        #expect(throws: TrustedProxiesError(entry: entry)) { try TrustedProxies(parsing: "127.0.0.1, \(entry)") }
        #expect(TrustedProxiesError(entry: entry).description.contains("TERN_TRUSTED_PROXIES: '\(entry)'"))
    }

    @Test func emptyList_trustsNoOne() throws {
        #expect(try TrustedProxies(parsing: " , ") == .none)
    }
}
