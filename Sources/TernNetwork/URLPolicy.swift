package import Foundation

/// A URL that passed the syntax, scheme, port and (for address literals) address rules.
package struct CheckedTarget: Hashable, Sendable {
    /// The URL as given.
    package var url: String
    /// `http` or `https`, lower case.
    package var scheme: String
    /// The host as written in the URL (brackets included for IPv6).
    package var host: String
    /// The host after normalisation: what is resolved or dialled.
    package var normalizedHost: NormalizedHost
    /// The port, explicit or the scheme's default.
    package var port: Int
    /// Path and query to request, as written (not re-encoded; `/` when the URL has no path); the
    /// fragment is dropped.
    package var requestTarget: String
    /// Whether an allow-list entry opened this host and port, so address rules do not apply.
    package var isAllowListed: Bool

    /// The `Host` header value: the normalised host, with the port unless it is the default.
    package var hostHeader: String {
        port == (scheme == "https" ? 443 : 80) ? normalizedHost.uriHost : "\(normalizedHost.uriHost):\(port)"
    }
}

/// The syntax half of the network guard: which URLs a fetch may use, before and after DNS.
///
/// `check` reads the URL itself rather than trusting a URL library, and refuses what different
/// parsers could read differently: control characters, white space, backslashes, any `@` in the
/// authority (credentials are not allowed, and `a@b` is the classic confusion), schemes other
/// than http and https, and `http:host` without `//`. The host is normalised by
/// ``HostNormalizer``; a port must be on the port list unless an allow-list entry opens it;
/// `localhost` names and address literals are judged at once, names after resolution by
/// `checkResolved`. Redirects are new URLs: check each one.
package struct URLPolicy: Sendable {
    /// The only schemes a fetch may use.
    package static let allowedSchemes = ["http", "https"]
    /// The longest URL accepted, in UTF-8 bytes.
    package static let maxURLLength = 8192

    /// Ports any host may use, ascending.
    package var allowedPorts: [Int]
    /// Admin entries that open internal hosts.
    package var allowList: [NetworkAllowEntry]

    /// Builds a policy; the default opens ports 80 and 443 and no internal host.
    package init(allowedPorts: [Int] = [80, 443], allowList: [NetworkAllowEntry] = []) {
        self.allowedPorts = Array(Set(allowedPorts)).sorted()
        self.allowList = allowList
    }

    /// Checks `url` (its `absoluteString`).
    package func check(_ url: URL) throws(NetworkPolicyError) -> CheckedTarget {
        try check(url.absoluteString)
    }

    /// Checks the URL text: everything but the addresses a name resolves to.
    package func check(_ url: String) throws(NetworkPolicyError) -> CheckedTarget {
        func refuse(_ reason: NetworkPolicyError.Reason) -> NetworkPolicyError {
            NetworkPolicyError(url: url, reason: reason)
        }
        guard !url.isEmpty, url.utf8.count <= Self.maxURLLength else {
            throw refuse(.invalidURL("the URL must be 1 to \(Self.maxURLLength) bytes"))
        }
        if url.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw refuse(.invalidURL("it contains control characters"))
        }
        if url.unicodeScalars.contains(where: \.properties.isWhitespace) {
            throw refuse(.invalidURL("it contains white space"))
        }
        if url.contains("\\") { throw refuse(.invalidURL("it contains a backslash")) }

        // Split on Unicode scalars, as byte-level parsers do: a combining mark after "/" must not
        // hide the "/" inside one Character.
        let scalars = Substring(url).unicodeScalars
        guard let colon = scalars.firstIndex(of: ":"), Self.isScheme(scalars[..<colon]) else {
            throw refuse(.invalidURL("it is not an absolute URL"))
        }
        let scheme = String(scalars[..<colon]).lowercased()
        guard Self.allowedSchemes.contains(scheme) else {
            throw refuse(.schemeNotAllowed(scheme, allowed: Self.allowedSchemes))
        }
        let rest = scalars[scalars.index(after: colon)...]
        guard rest.starts(with: "//".unicodeScalars) else {
            throw refuse(.invalidURL("expected \"//\" after \"\(scheme):\""))
        }
        let afterSlashes = rest.dropFirst(2)
        let authorityEnd =
            afterSlashes.firstIndex(where: { "/?#".unicodeScalars.contains($0) }) ?? afterSlashes.endIndex
        let authority = Substring(afterSlashes[..<authorityEnd])
        if authority.unicodeScalars.contains("@") { throw refuse(.credentials) }

        let (hostText, portText) = try Self.splitAuthority(authority, url: url)
        var port = scheme == "https" ? 443 : 80
        if let portText, !portText.isEmpty {
            let refusal = refuse(.invalidURL("the port \"\(portText.prefix(16))\" is not a number from 0 to 65535"))
            guard portText.utf8.allSatisfy(IPAddress.isDecimalDigit) else { throw refusal }
            port = portText.utf8.reduce(0) { min($0 * 10 + Int($1 - UInt8(ascii: "0")), 100_000) }
            guard port <= 65535 else { throw refusal }
        }
        let normalized: NormalizedHost
        do {
            normalized = try HostNormalizer.normalize(String(hostText))
        } catch {
            throw refuse(.invalidHost(String(hostText), error))
        }

        func refuseWithHint(_ reason: NetworkPolicyError.Reason) -> NetworkPolicyError {
            NetworkPolicyError(
                url: url, reason: reason, allowListHint: allowListHint(for: reason, host: normalized, port: port))
        }
        let allowListed = allowList.contains { $0.matches(host: normalized, port: port, allowedPorts: allowedPorts) }
        if !allowListed, !allowedPorts.contains(port) {
            if let entry = allowList.first(where: { $0.host == normalized && $0.port == nil }) {
                throw refuseWithHint(.portNotOpenedByEntry(port, entry: entry.description, allowed: allowedPorts))
            }
            throw refuseWithHint(.portNotAllowed(port, allowed: allowedPorts))
        }
        if !allowListed {
            switch normalized {
            case .name(let name) where name == "localhost" || name.hasSuffix(".localhost"):
                throw refuseWithHint(.localhostName(name))
            case .ip(let address):
                if let forbidden = AddressPolicy.classify(address) {
                    throw refuseWithHint(.forbiddenAddress(forbidden, Self.source(hostText, normalized)))
                }
            case .name:
                break
            }
        }
        var requestTarget = afterSlashes[authorityEnd...]
        if let hash = requestTarget.firstIndex(of: "#") { requestTarget = requestTarget[..<hash] }
        let path = requestTarget.first == "/" ? String(requestTarget) : "/" + String(requestTarget)
        return CheckedTarget(
            url: url, scheme: scheme, host: String(hostText), normalizedHost: normalized, port: port,
            requestTarget: path, isAllowListed: allowListed)
    }

    /// Checks what the target's host resolved to and returns the address to dial (pin it: do not
    /// resolve again). Refused if the list is empty or if ANY address is forbidden, so a name
    /// cannot pair a public address with a private one. For an address literal pass `[address]`.
    /// Allow-listed targets skip the address rules.
    package func checkResolved(_ target: CheckedTarget, addresses: [IPAddress]) throws(NetworkPolicyError)
        -> IPAddress
    {
        guard let first = addresses.first else {
            throw NetworkPolicyError(url: target.url, reason: .didNotResolve(target.normalizedHost.description))
        }
        guard !target.isAllowListed else { return first }
        func refuse(_ reason: NetworkPolicyError.Reason) -> NetworkPolicyError {
            NetworkPolicyError(
                url: target.url, reason: reason,
                allowListHint: allowListHint(for: reason, host: target.normalizedHost, port: target.port))
        }
        if case .name(let name) = target.normalizedHost, name == "localhost" || name.hasSuffix(".localhost") {
            throw refuse(.localhostName(name))
        }
        for address in addresses {
            if let forbidden = AddressPolicy.classify(address) {
                throw refuse(.forbiddenAddress(forbidden, Self.source(Substring(target.host), target.normalizedHost)))
            }
        }
        return first
    }

    private static func source(_ written: Substring, _ host: NormalizedHost) -> NetworkPolicyError.AddressSource {
        switch host {
        case .ip:
            let bare = written.hasPrefix("[") ? written.dropFirst().dropLast() : written
            return .literal(written: bare.lowercased())
        case .name(let name):
            return .resolved(name: name)
        }
    }

    /// RFC 3986: a letter, then letters, digits, `+`, `-` or `.`.
    private static func isScheme(_ text: Substring.UnicodeScalarView) -> Bool {
        guard let first = text.first, first.isASCII, first.properties.isAlphabetic else { return false }
        return text.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "+-.".unicodeScalars.contains($0))
        }
    }

    /// Host and optional port text; an IPv6 literal keeps its brackets.
    private static func splitAuthority(_ authority: Substring, url: String) throws(NetworkPolicyError)
        -> (host: Substring, port: Substring?)
    {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw NetworkPolicyError(url: url, reason: .invalidHost(String(authority), .invalidIPv6))
            }
            let rest = authority[authority.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else {
                throw NetworkPolicyError(url: url, reason: .invalidURL("unexpected text after \"]\""))
            }
            return (authority[...close], rest.isEmpty ? nil : rest.dropFirst())
        }
        guard let colon = authority.lastIndex(of: ":") else { return (authority, nil) }
        return (authority[..<colon], authority[authority.index(after: colon)...])
    }
}
