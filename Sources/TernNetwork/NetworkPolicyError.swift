import Foundation

/// Why the network guard refused a URL. The message names the URL and the rule that matched:
/// `refused http://10.0.0.5/: 10.0.0.5 is a private address (10.0.0.0/8)`.
package struct NetworkPolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// How an address came to be checked, so the message can say where it came from.
    package enum AddressSource: Hashable, Sendable {
        /// The host was an address literal, spelt as in `written` (brackets removed).
        case literal(written: String)
        /// The host was a name that resolved to the address.
        case resolved(name: String)
    }

    /// The rule that matched.
    package enum Reason: Hashable, Sendable, CustomStringConvertible {
        /// The text is not an absolute URL the guard can read; the detail says why.
        case invalidURL(String)
        /// The scheme (lower-cased) is not one of `allowed`.
        case schemeNotAllowed(String, allowed: [String])
        /// The URL carries a user name or password.
        case credentials
        /// The port is not one of `allowed` and no allow-list entry opens it.
        case portNotAllowed(Int, allowed: [Int])
        /// The host is on the allow-list without a port (`entry`, normalised), which opens it
        /// on the `allowed` ports only, and `Int` is not one of them.
        case portNotOpenedByEntry(Int, entry: String, allowed: [Int])
        /// The host (as written) could not be read.
        case invalidHost(String, HostNormalizer.Failure)
        /// `localhost` or a `*.localhost` name, loopback by definition (RFC 6761).
        case localhostName(String)
        /// The host is, or resolved to, a forbidden address.
        case forbiddenAddress(ForbiddenAddress, AddressSource)
        /// The name resolved to no address.
        case didNotResolve(String)
        /// Resolving the name failed for another reason (time-out, DNS failure, cancellation).
        case resolutionFailed(String, detail: String)

        /// The rule, in words.
        package var description: String {
            switch self {
            case .invalidURL(let detail):
                return detail
            case .schemeNotAllowed(let scheme, let allowed):
                let shown = NetworkPolicyError.printable(scheme)
                return "scheme \"\(shown)\" is not allowed (\(allowed.joined(separator: ", ")))"
            case .credentials:
                return "credentials in the URL are not allowed"
            case .portNotAllowed(let port, let allowed):
                return "port \(port) is not allowed (\(allowed.map(String.init).joined(separator: ", ")))"
            case .portNotOpenedByEntry(let port, let entry, let allowed):
                let ports = allowed.map(String.init).joined(separator: ", ")
                return "port \(port) is not allowed for \(entry): its allow-list entry \"\(entry)\" has no port, "
                    + "so it opens only the allowed ports (\(ports))"
            case .invalidHost(_, .empty):
                return "the URL has no host"
            case .invalidHost(let host, let failure):
                return "the host \"\(NetworkPolicyError.printable(host))\" is not valid: \(failure)"
            case .localhostName(let name):
                return "\(name) is a localhost name, which is always loopback"
            case .forbiddenAddress(let forbidden, .resolved(let name)):
                return "\(name) resolves to \(forbidden.address), which is \(forbidden)"
            case .forbiddenAddress(let forbidden, .literal(let written)):
                if written == forbidden.address.description { return "\(written) is \(forbidden)" }
                return "\(NetworkPolicyError.printable(written)) is \(forbidden.address), \(forbidden)"
            case .didNotResolve(let name):
                return "\(name) did not resolve to any address"
            case .resolutionFailed(let name, let detail):
                return "could not resolve \(name): \(detail)"
            }
        }
    }

    /// The URL as given.
    package var url: String
    /// The rule that matched.
    package var reason: Reason
    /// For an admin: which entry of `TERN_NETWORK_ALLOW` or `TERN_NETWORK_PORTS` would open the
    /// URL, when one would (see ``URLPolicy``). Not part of ``description``, which tools show
    /// to the model.
    package var allowListHint: String?

    /// Builds a refusal.
    package init(url: String, reason: Reason, allowListHint: String? = nil) {
        self.url = url
        self.reason = reason
        self.allowListHint = allowListHint
    }

    /// `refused <url>: <reason>`, the URL cut to 200 characters with control characters escaped.
    package var description: String {
        let shown = url.count > 200 ? String(url.prefix(200)) + "…" : url
        return "refused \(Self.printable(shown)): \(reason)"
    }

    /// `text` with control characters escaped (`\x1b`), so a message cannot be spoofed.
    static func printable(_ text: String) -> String {
        String(
            text.unicodeScalars.flatMap { scalar -> [Character] in
                scalar.properties.generalCategory == .control
                    ? Array(String(format: "\\x%02x", scalar.value)) : [Character(scalar)]
            })
    }
}
