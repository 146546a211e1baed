import Foundation
package import TernCore
package import TernNetwork

/// `web_fetch`: a web page as readable text, through the network guard and the disk cache.
package struct WebFetchTool: Tool {
    package static let name = "web_fetch"
    package let spec: ToolSpec
    private let client: GuardedHTTPClient
    private let cache: FetchCache?
    private let outputBudget: Int
    private let clock: any WallClock

    /// - Parameter outputBudget: most characters of page text returned; longer pages are cut
    ///   with a note saying so.
    package init(client: GuardedHTTPClient, cache: FetchCache?, outputBudget: Int = 8000, clock: any WallClock = SystemWallClock())
        throws(ToolError)
    {
        spec = try ToolSpec(
            name: Self.name,
            description:
                "Fetches a web page (http or https) and returns its text: headings, lists, links and tables kept, scripts and navigation dropped. Public addresses only.",
            inputSchema: [
                "type": "object", "required": ["url"], "additionalProperties": false,
                "properties": ["url": ["type": "string", "minLength": 1, "maxLength": 8192]],
            ],
            risk: .read)
        self.client = client
        self.cache = cache
        self.outputBudget = outputBudget
        self.clock = clock
    }

    package func call(_ input: JSONValue, in context: ToolContext) async throws -> ToolOutput {
        guard let url = input["url"]?.stringValue else { return .error("'url' is required") }
        if let cache {
            // The cache never serves what the guard would refuse now (the allow-list may have
            // changed since the page was stored).
            do {
                _ = try await client.networkGuard.authorize(url)
            } catch {
                try Task.checkCancellation()
                return .error(error.description)
            }
            if let cached = await cache.get(url) { return .text(render(cached)) }
        }
        let response: GuardedHTTPClient.Response
        do {
            response = try await client.get(url, accept: "text/html, text/plain;q=0.9, application/json;q=0.8, */*;q=0.1")
        } catch {
            try Task.checkCancellation()
            return .error(error.description)
        }
        guard (200...299).contains(response.status) else {
            return .error("\(response.url) answered HTTP \(response.status)")
        }
        let type = (response.contentType ?? "").lowercased()
        let page: HTMLText.Page
        if type.contains("html") || type.isEmpty {
            page = HTMLText.convert(String(decoding: response.body, as: UTF8.self), base: URL(string: response.url))
        } else if type.hasPrefix("text/") || type.contains("json") || type.contains("xml") {
            page = HTMLText.Page(title: nil, text: String(decoding: response.body, as: UTF8.self))
        } else {
            return .error("\(response.url) is \(type), not a page of text")
        }
        let entry = FetchCache.Entry(
            url: url, fetchedAt: clock.now(), contentType: response.contentType, title: page.title, text: page.text)
        await cache?.put(entry)
        return .text(render(entry, finalURL: response.url))
    }

    private func render(_ entry: FetchCache.Entry, finalURL: String? = nil) -> String {
        var head = ""
        if let title = entry.title { head += "# \(title)\n" }
        head += "URL: \(finalURL ?? entry.url)\n\n"
        guard entry.characters > outputBudget else { return head + entry.text }
        return head + entry.text.prefix(outputBudget)
            + "\n\n[cut: the page has \(entry.characters) characters of text; this is the first \(outputBudget)]"
    }
}

/// `web_search`: results from a SearXNG instance's JSON API.
package struct WebSearchTool: Tool {
    package static let name = "web_search"
    package let spec: ToolSpec
    private let client: GuardedHTTPClient
    private let searxngURL: String?
    private let maxResults: Int

    /// - Parameter searxngURL: the instance's base URL (its host must be on the network
    ///   allow-list); `nil` when search is not configured.
    package init(client: GuardedHTTPClient, searxngURL: String?, maxResults: Int = 8) throws(ToolError) {
        spec = try ToolSpec(
            name: Self.name,
            description: "Searches the web and returns results as title, URL and snippet.",
            inputSchema: [
                "type": "object", "required": ["query"], "additionalProperties": false,
                "properties": ["query": ["type": "string", "minLength": 1, "maxLength": 500]],
            ],
            risk: .read)
        self.client = client
        self.searxngURL = searxngURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.maxResults = maxResults
    }

    package func call(_ input: JSONValue, in context: ToolContext) async throws -> ToolOutput {
        guard let base = searxngURL else {
            return .error("web search is not configured on this server (TERN_SEARXNG_URL is empty)")
        }
        guard let query = input["query"]?.stringValue,
            let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics)
        else { return .error("'query' is required") }
        let response: GuardedHTTPClient.Response
        do {
            response = try await client.get("\(base)/search?q=\(encoded)&format=json", accept: "application/json")
        } catch {
            try Task.checkCancellation()
            return .error("search failed: \(error.description)")
        }
        guard (200...299).contains(response.status) else {
            return .error("the search service answered HTTP \(response.status)")
        }
        guard let root = try? JSONValue(jsonText: String(decoding: response.body, as: UTF8.self)),  // reported below
            let results = root["results"]?.arrayValue
        else { return .error("the search service sent something that is not SearXNG JSON") }
        let lines = results.prefix(maxResults).enumerated().map { index, result in
            let title = result["title"]?.stringValue ?? "(no title)"
            let url = result["url"]?.stringValue ?? ""
            let snippet = result["content"]?.stringValue.map { HTMLText.normalizeSpaces($0) } ?? ""
            return "\(index + 1). \(title)\n   \(url)\n   \(snippet)"
        }
        return .text(lines.isEmpty ? "No results for \"\(query)\"." : lines.joined(separator: "\n"))
    }
}
