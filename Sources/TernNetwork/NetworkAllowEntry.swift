/// One admin allow-list entry that opens an internal host to fetches: `host` or `host:port`
/// (`searxng:8080`, `127.0.0.1:9000`, `[::1]:9000`, `::1`).
///
/// The host is normalised like a URL host, so `127.0.0.1` also matches `http://0x7f000001/`
/// (the same destination). A `host:port` entry opens exactly that port, even one outside the
/// policy's port list; a bare `host` entry opens the host on the policy's ports only. An entry
/// skips the address rules (including the `localhost` name rule) and nothing else: scheme,
/// credential and syntax rules still apply.
package struct NetworkAllowEntry: Hashable, Sendable, CustomStringConvertible {
    /// The host, normalised.
    package var host: NormalizedHost
    /// The one port opened, or `nil` for the policy's ports.
    package var port: Int?

    /// Builds an entry from parts already checked.
    package init(host: NormalizedHost, port: Int? = nil) {
        self.host = host
        self.port = port
    }

    /// Parses one entry as written in configuration.
    package init(parsing text: String) throws(NetworkAllowListError) {
        func refuse(_ reason: String) -> NetworkAllowListError {
            let entry = NetworkPolicyError.printable(text)
            return NetworkAllowListError(problems: ["invalid network allow-list entry \"\(entry)\": \(reason)"])
        }
        if text.contains("://") || text.contains("/") || text.contains("@") {
            throw refuse("write host or host:port, not a URL")
        }
        var hostText = text
        var portText: Substring?
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            hostText = String(text[...close])
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw refuse("unexpected text after ']'") }
                portText = rest.dropFirst()
            }
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            hostText = String(text[..<colon])
            portText = text[text.index(after: colon)...]
        } else if text.contains(":") {
            hostText = "[\(text)]"
        }
        if let portText {
            guard let port = Int(portText), portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber),
                (1...65535).contains(port)
            else { throw refuse("the port must be a number from 1 to 65535") }
            self.port = port
        }
        do {
            host = try HostNormalizer.normalize(hostText)
        } catch {
            throw refuse(error.description)
        }
    }

    /// Parses every entry, reporting every bad one together.
    package static func parse(_ texts: [String]) throws(NetworkAllowListError) -> [NetworkAllowEntry] {
        var entries: [NetworkAllowEntry] = []
        var problems: [String] = []
        for text in texts {
            do {
                entries.append(try NetworkAllowEntry(parsing: text))
            } catch {
                problems += error.problems
            }
        }
        guard problems.isEmpty else { throw NetworkAllowListError(problems: problems) }
        return entries
    }

    /// Whether the entry opens `host` on `port`, given the policy's own `allowedPorts`.
    package func matches(host: NormalizedHost, port: Int, allowedPorts: [Int]) -> Bool {
        guard host == self.host else { return false }
        guard let own = self.port else { return allowedPorts.contains(port) }
        return own == port
    }

    /// `searxng:8080`, `[::1]:9000`, `internal.example`.
    package var description: String {
        port.map { "\(host.uriHost):\($0)" } ?? host.uriHost
    }
}

/// Why an allow-list could not be read: every bad entry, one message each.
package struct NetworkAllowListError: Error, Hashable, Sendable, CustomStringConvertible {
    /// One message per bad entry.
    package var problems: [String]

    /// Builds an error from its problems.
    package init(problems: [String]) {
        self.problems = problems
    }

    /// One problem per line.
    package var description: String { problems.joined(separator: "\n") }
}
