import Foundation
import TernNetwork

/// Which repository URLs `git_clone` accepts, checked before git ever sees them.
///
/// Accepted: `https://host[:port]/path` and ssh (`ssh://[user@]host[:port]/path` or scp-like
/// `user@host:path`); plain `http://` only for hosts on the admin allow-list (internal
/// mirrors). Refused: embedded credentials (`user:pass@` or a `token@` on https), whitespace,
/// control characters and NUL, anything that could be read as an option (a `-` at the start of
/// the URL, the host, the user or the path), git's `ext::` and other `<transport>::` forms,
/// `file://` and every other scheme, local paths. The host's addresses are checked separately
/// by the network guard.
package enum GitURLPolicy {
    /// How git will connect.
    package enum Transport: String, Sendable, Equatable {
        case https, http, ssh
    }

    /// A URL that passed the syntax rules.
    package struct Target: Sendable, Equatable {
        package var transport: Transport
        /// Lowercased, without brackets for IPv6.
        package var host: String
        package var port: Int
        /// The URL exactly as git will get it.
        package var url: String
        /// A directory name for the clone: the last path component without `.git`.
        package var repositoryName: String
    }

    /// Why a URL was refused; the message names the rule.
    package struct Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        package var url: String
        package var reason: String

        package init(url: String, reason: String) {
            self.url = url
            self.reason = reason
        }

        package var description: String { "refused repository URL \(Self.printable(url)): \(reason)" }

        /// The URL with control characters escaped, so a message cannot be spoofed.
        static func printable(_ text: String) -> String {
            String(
                text.unicodeScalars.flatMap { scalar -> [Character] in
                    scalar.value < 0x20 || scalar.value == 0x7f
                        ? Array(String(format: "\\x%02x", scalar.value)) : [Character(scalar)]
                })
        }
    }

    /// Checks `text`. `allowHTTP` says whether a host may use plain http (allow-listed hosts).
    package static func check(_ text: String, allowHTTP: (String, Int) -> Bool = { _, _ in false }) throws(Refusal)
        -> Target
    {
        func refuse(_ reason: String) -> Refusal { Refusal(url: text, reason: reason) }
        guard !text.isEmpty, text.utf8.count <= 2048 else { throw refuse("the URL must be 1 to 2048 bytes") }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw refuse("it contains control characters")
        }
        if text.unicodeScalars.contains(where: { $0.properties.isWhitespace }) { throw refuse("it contains white space") }
        guard text.unicodeScalars.allSatisfy(\.isASCII) else { throw refuse("it contains non-ASCII characters") }
        if text.hasPrefix("-") { throw refuse("it starts with '-', which git would read as an option") }
        if let range = text.range(of: "::"), !text[..<range.lowerBound].contains("/"), !text[..<range.lowerBound].contains("@") {
            throw refuse("'<transport>::' URLs (such as ext::) are not allowed")
        }
        if text.hasPrefix("/") || text.hasPrefix(".") || text.hasPrefix("~") {
            throw refuse("local paths are not allowed")
        }
        if let schemeEnd = text.range(of: "://") {
            let scheme = text[..<schemeEnd.lowerBound].lowercased()
            switch scheme {
            case "https": return try urlForm(text, transport: .https, allowHTTP: allowHTTP)
            case "http": return try urlForm(text, transport: .http, allowHTTP: allowHTTP)
            case "ssh", "git+ssh", "ssh+git": return try urlForm(text, transport: .ssh, allowHTTP: allowHTTP)
            default: throw refuse("scheme \"\(scheme)\" is not allowed (https, ssh)")
            }
        }
        return try scpForm(text)
    }

    private static func urlForm(_ text: String, transport: Transport, allowHTTP: (String, Int) -> Bool) throws(Refusal)
        -> Target
    {
        func refuse(_ reason: String) -> Refusal { Refusal(url: text, reason: reason) }
        guard let components = URLComponents(string: text), let rawHost = components.host, !rawHost.isEmpty else {
            throw refuse("it is not a valid URL with a host")
        }
        if components.password != nil { throw refuse("credentials in the URL are not allowed") }
        if let user = components.user {
            guard transport == .ssh else { throw refuse("credentials in the URL are not allowed (\"\(user)@\")") }
            if user.hasPrefix("-") { throw refuse("the user starts with '-'") }
        }
        let host = rawHost.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if host.hasPrefix("-") { throw refuse("the host starts with '-'") }
        let port = components.port ?? (transport == .ssh ? 22 : transport == .https ? 443 : 80)
        if transport == .http, !allowHTTP(host, port) {
            throw refuse("plain http is only allowed for allow-listed hosts; use https")
        }
        let path = components.percentEncodedPath
        try checkPath(path, in: text)
        if components.query != nil || components.fragment != nil { throw refuse("queries and fragments are not allowed") }
        return Target(transport: transport, host: host, port: port, url: text, repositoryName: repositoryName(path))
    }

    /// `user@host:path`, as scp writes it.
    private static func scpForm(_ text: String) throws(Refusal) -> Target {
        func refuse(_ reason: String) -> Refusal { Refusal(url: text, reason: reason) }
        if let at = text.firstIndex(of: "@"), text[..<at].contains(":") {
            throw refuse("credentials in the URL are not allowed")
        }
        guard let colon = text.firstIndex(of: ":") else { throw refuse("local paths are not allowed") }
        let authority = text[..<colon]
        let path = String(text[text.index(after: colon)...])
        guard let at = authority.lastIndex(of: "@") else {
            throw refuse("ssh addresses must name a user (user@host:path)")
        }
        let user = authority[..<at]
        let host = authority[authority.index(after: at)...].lowercased()
        guard !user.isEmpty, !host.isEmpty else { throw refuse("ssh addresses must be user@host:path") }
        if user.contains(":") { throw refuse("credentials in the URL are not allowed") }
        if user.hasPrefix("-") { throw refuse("the user starts with '-'") }
        if host.hasPrefix("-") { throw refuse("the host starts with '-'") }
        if host.contains("/") || host.contains("[") { throw refuse("the host is not valid") }
        try checkPath(path.hasPrefix("/") ? path : "/" + path, in: text)
        return Target(transport: .ssh, host: host, port: 22, url: text, repositoryName: repositoryName(path))
    }

    private static func checkPath(_ path: String, in text: String) throws(Refusal) {
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !components.isEmpty else { throw Refusal(url: text, reason: "the URL names no repository path") }
        if components.contains(where: { $0.hasPrefix("-") }) {
            throw Refusal(url: text, reason: "a path component starts with '-'")
        }
        if components.contains(where: { $0 == ".." }) {
            throw Refusal(url: text, reason: "'..' in the path is not allowed")
        }
    }

    private static func repositoryName(_ path: String) -> String {
        var name = String(path.split(separator: "/").last ?? "repository")
        if name.hasSuffix(".git") { name.removeLast(4) }
        let cleaned = String(name.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0) })
        return cleaned.isEmpty || cleaned.hasPrefix(".") ? "repository" : cleaned
    }
}
