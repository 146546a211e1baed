import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TernCore
import TernNetwork
import TernTools

/// `web_fetch` and `web_search` against a real local HTTP server, reachable only through an
/// explicit allow-list entry.
@Suite(.timeLimit(.minutes(1))) struct WebFetchLiveTests {
    static func pageServer() -> some ApplicationProtocol {
        let router = Router()
        router.get("page") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(
                    byteBuffer: ByteBuffer(
                        string: "<title>Local</title><h1>Hello</h1><p>from the <a href=\"/x\">test</a> server</p><script>x()</script>")))
        }
        router.get("to-private") { _, _ in Response(status: .found, headers: [.location: "http://10.0.0.1/admin"]) }
        router.get("loop") { _, _ in Response(status: .found, headers: [.location: "/loop"]) }
        router.get("to-page") { _, _ in Response(status: .movedPermanently, headers: [.location: "/page"]) }
        router.get("big") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(repeating: 0x61, count: 300_000)))
        }
        router.get("missing") { _, _ in Response(status: .notFound) }
        router.get("hang") { _, _ -> Response in
            // Longer than the client waits; short enough not to hold up the server's shutdown.
            try await Task.sleep(for: .seconds(3))
            return Response(status: .ok)
        }
        router.get("search") { request, _ in
            let query = request.uri.queryParameters["q"].map(String.init) ?? ""
            let json = #"{"results":[{"title":"About \#(query)","url":"https://example.com/\#(query)","content":"A  snippet\n about it"}]}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    func client(
        allow: [String], ports: [Int] = [80, 443], resolver: any HostResolver = SystemHostResolver(),
        limits: GuardedHTTPClient.Limits = .init()
    ) throws -> GuardedHTTPClient {
        let entries = try allow.map { try NetworkAllowEntry(parsing: $0) }
        return GuardedHTTPClient(
            networkGuard: NetworkGuard(policy: URLPolicy(allowedPorts: ports, allowList: entries), resolver: resolver),
            limits: limits)
    }

    func fetch(_ url: String, with client: GuardedHTTPClient, cache: FetchCache? = nil) async throws -> ToolOutput {
        try await WebFetchTool(client: client, cache: cache).call(
            ["url": .string(url)], in: ToolContext(contextID: .defaultContext, userID: .localUser))
    }

    @Test func withoutAnAllowListEntry_theLocalServerIsRefused() async throws {
        try await Self.pageServer().test(.live) { server in
            let port = try #require(server.port)
            // Even with its port open, the address rules refuse it: only the allow-list opens it.
            let output = try await fetch("http://127.0.0.1:\(port)/page", with: try client(allow: [], ports: [port]))
            #expect(output.isError)
            #expect(output.text.contains("loopback"), "\(output.text)")
        }
    }

    @Test func allowListedServer_isFetchedAsText_andCached() async throws {
        try await Self.pageServer().test(.live) { server in
            let port = try #require(server.port)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-fetch-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }  // best-effort temp cleanup
            let cache = FetchCache(directory: directory)
            try await cache.open()
            let http = try client(allow: ["127.0.0.1:\(port)"])
            let first = try await fetch("http://127.0.0.1:\(port)/to-page", with: http, cache: cache)
            #expect(!first.isError, "\(first.text)")
            #expect(
                first.text == "# Local\nURL: http://127.0.0.1:\(port)/page\n\n# Hello\n\nfrom the test (http://127.0.0.1:\(port)/x) server")
            let second = try await fetch("http://127.0.0.1:\(port)/to-page", with: http, cache: cache)
            #expect(second.text.contains("# Hello"))
            #expect(await cache.stats.hits == 1)
            // Without the allow-list entry the cached page is not served either.
            let closed = try await fetch("http://127.0.0.1:\(port)/to-page", with: try client(allow: [], ports: [port]), cache: cache)
            #expect(closed.isError && closed.text.contains("loopback"), "\(closed.text)")
        }
    }

    @Test func redirects_areCheckedHopByHop_andBounded() async throws {
        try await Self.pageServer().test(.live) { server in
            let port = try #require(server.port)
            let http = try client(allow: ["127.0.0.1:\(port)"])
            let privateHop = try await fetch("http://127.0.0.1:\(port)/to-private", with: http)
            #expect(privateHop.isError)
            #expect(privateHop.text.contains("10.0.0.1 is a private address"), "\(privateHop.text)")
            let loop = try await fetch("http://127.0.0.1:\(port)/loop", with: http)
            #expect(loop.text.contains("redirected more than 5 times"), "\(loop.text)")
        }
    }

    @Test func limits_bytesTimeAndStatus() async throws {
        try await Self.pageServer().test(.live) { server in
            let port = try #require(server.port)
            // Separate clients: under a loaded test run 300 ms may not be enough for the big body.
            let small = try client(allow: ["127.0.0.1:\(port)"], limits: .init(maxBytes: 100_000))
            let big = try await fetch("http://127.0.0.1:\(port)/big", with: small)
            #expect(big.text.contains("sent more than 100000 bytes"), "\(big.text)")
            let impatient = try client(allow: ["127.0.0.1:\(port)"], limits: .init(timeout: .milliseconds(300)))
            #expect(try await fetch("http://127.0.0.1:\(port)/hang", with: impatient).text.contains("did not answer within 300ms"))
            #expect(try await fetch("http://127.0.0.1:\(port)/missing", with: small).text.contains("answered HTTP 404"))
        }
    }

    @Test func theCheckedAddressIsPinned_theNameIsNeverResolvedAgain() async throws {
        try await Self.pageServer().test(.live) { server in
            let port = try #require(server.port)
            // "pinned.test" exists only in the guard's resolver: the fetch works only if the
            // connection goes to the checked address instead of a second lookup.
            let resolver = FixedResolver(table: [
                "pinned.test": [IPAddress(127, 0, 0, 1)], "rebind.test": [IPAddress(93, 184, 216, 34), IPAddress(127, 0, 0, 1)],
            ])
            let http = try client(allow: ["pinned.test:\(port)"], resolver: resolver)
            let output = try await fetch("http://pinned.test:\(port)/page", with: http)
            #expect(output.text.contains("# Hello"), "\(output.text)")
            let rebinding = try await fetch("http://rebind.test/", with: try client(allow: [], resolver: resolver))
            #expect(rebinding.text.contains("127.0.0.1"), "\(rebinding.text)")
            #expect(rebinding.text.contains("loopback"))
        }
    }

    @Test func webSearch_readsSearXNG_andSaysWhenNotConfigured() async throws {
        try await Self.pageServer().test(.live) { server in
            let port = try #require(server.port)
            let http = try client(allow: ["127.0.0.1:\(port)"])
            let context = ToolContext(contextID: .defaultContext, userID: .localUser)
            let search = try WebSearchTool(client: http, searxngURL: "http://127.0.0.1:\(port)/")
            let output = try await search.call(["query": "swift nio"], in: context)
            #expect(output.text == "1. About swift nio\n   https://example.com/swift nio\n   A snippet about it")
            let off = try await WebSearchTool(client: http, searxngURL: nil).call(["query": "x"], in: context)
            #expect(off.isError && off.text.contains("TERN_SEARXNG_URL"))
        }
    }
}

struct FixedResolver: HostResolver {
    let table: [String: [IPAddress]]
    func resolve(host: String, port: Int) async throws -> [IPAddress] {
        guard let addresses = table[host] else { throw HostResolutionError.notFound(host) }
        return addresses
    }
}
