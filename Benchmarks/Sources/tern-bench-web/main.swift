// Benchmarks web_fetch: HTML-to-text of a 1 MB page, a cold fetch of it through the network
// guard from a local server (allow-listed), and cache hits. Prints one line per measurement.
import Foundation
import Hummingbird
import ServiceLifecycle
import TernCore
import TernNetwork
import TernTools

/// A page of about `bytes` of realistic HTML: headings, paragraphs with links, lists, a table,
/// scripts and styles to drop.
func makePage(bytes: Int) -> String {
    var html = "<!doctype html><html><head><title>Bench page</title><style>p{margin:0}</style></head><body><nav><a href=/>home</a></nav>"
    var section = 0
    while html.utf8.count < bytes {
        section += 1
        html +=
            "<h2>Section \(section)</h2><p>Lorem ipsum dolor sit amet, <a href=\"/s/\(section)\">consectetur</a> adipiscing elit, sed do eiusmod tempor &amp; incididunt ut labore.</p>"
        html += "<ul><li>one</li><li>two</li><li>three</li></ul><table><tr><td>a</td><td>\(section)</td></tr></table>"
        html += "<script>var x = \(section) < 3;</script>"
    }
    return html + "</body></html>"
}

func median(_ values: [Duration]) -> Duration { values.sorted()[values.count / 2] }
func percentile(_ values: [Duration], _ p: Double) -> Duration {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}
func ms(_ duration: Duration) -> String { String(format: "%.3f ms", duration.timeInterval * 1000) }

let page = makePage(bytes: 1_000_000)
let clock = ContinuousClock()
print("tern-bench-web: page \(page.utf8.count) bytes of HTML")

// 1. HTML to text, in memory.
var convert: [Duration] = []
var textLength = 0
for _ in 0..<20 {
    let start = clock.now
    textLength = HTMLText.convert(page).text.count
    convert.append(clock.now - start)
}
print("html-to-text 1 MB: median \(ms(median(convert))), min \(ms(convert.min()!)) -> \(textLength) characters of text")

// A local server for the page, reached through the allow-list like an internal service.
let pageCopy = page
let router = Router()
router.get("page") { _, _ in
    Response(status: .ok, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: pageCopy)))
}
let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
let app = Application(
    router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
    onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) })
let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: app.logger))
let server = Task { try await group.run() }
var firstPort: Int?
for await announced in portStream {
    firstPort = announced
    break
}
guard let port = firstPort, port > 0 else { fatalError("the page server did not start") }
let url = "http://127.0.0.1:\(port)/page"
let client = GuardedHTTPClient(
    networkGuard: NetworkGuard(
        policy: URLPolicy(allowList: [try NetworkAllowEntry(parsing: "127.0.0.1:\(port)")]), resolver: SystemHostResolver()))
let context = ToolContext(contextID: .defaultContext, userID: .localUser)

// 2. Cold fetches: no cache, so every call fetches 1 MB over loopback and converts it.
let uncached = try WebFetchTool(client: client, cache: nil)
var cold: [Duration] = []
for _ in 0..<20 {
    let start = clock.now
    let output = try await uncached.call(["url": .string(url)], in: context)
    cold.append(clock.now - start)
    precondition(!output.isError, output.text)
}
print("cold fetch 1 MB + to-text: median \(ms(median(cold))), p90 \(ms(percentile(cold, 0.9))), min \(ms(cold.min()!))")

// 3. Cache hits: guard check (address literal, no DNS), disk read, JSON decode, render.
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-bench-web-\(UUID().uuidString)")
let cache = FetchCache(directory: directory)
try await cache.open()
let cached = try WebFetchTool(client: client, cache: cache)
_ = try await cached.call(["url": .string(url)], in: context)
var hits: [Duration] = []
for _ in 0..<1000 {
    let start = clock.now
    _ = try await cached.call(["url": .string(url)], in: context)
    hits.append(clock.now - start)
}
let stats = await cache.stats
print(
    "cache hit (\(stats.bytes) bytes stored): median \(ms(median(hits))), p99 \(ms(percentile(hits, 0.99))), hits \(stats.hits), misses \(stats.misses)"
)
try? FileManager.default.removeItem(at: directory)  // best-effort temp cleanup
server.cancel()
