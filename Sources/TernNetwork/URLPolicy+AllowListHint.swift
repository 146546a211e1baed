extension URLPolicy {
    /// What an admin would add to open `host`:`port` after `reason` refused it, in the words of
    /// the configuration (`TERN_NETWORK_ALLOW`, `TERN_NETWORK_PORTS`); `nil` when no entry would
    /// help (bad syntax, scheme, credentials, DNS failures).
    ///
    /// The rules it describes: a port must be in `TERN_NETWORK_PORTS` unless an allow-list entry
    /// opens it; a bare `host` entry opens the host on those ports only, a `host:port` entry
    /// exactly that port; an entry (bare or not) lets its host be a private, loopback or
    /// link-local address, which nothing else does.
    func allowListHint(for reason: NetworkPolicyError.Reason, host: NormalizedHost, port: Int) -> String? {
        let exact = "\(host.uriHost):\(port)"
        let ports = allowedPorts.map(String.init).joined(separator: ", ")
        switch reason {
        case .portNotOpenedByEntry:
            return "add \(exact) to TERN_NETWORK_ALLOW to open that port on that host only, "
                + "or \(port) to TERN_NETWORK_PORTS to open it on every host"
        case .portNotAllowed:
            if Self.isInternal(host) {
                return "add \(exact) to TERN_NETWORK_ALLOW (\(host) is an internal address, which only an "
                    + "allow-list entry opens; adding \(port) to TERN_NETWORK_PORTS would not be enough)"
            }
            return "add \(port) to TERN_NETWORK_PORTS to open the port on every public host, "
                + "or \(exact) to TERN_NETWORK_ALLOW to open it on this host only"
        case .forbiddenAddress, .localhostName:
            return "add \(host.uriHost) to TERN_NETWORK_ALLOW to open it on the allowed ports (\(ports)), "
                + "or \(exact) to open this port only"
        case .invalidURL, .schemeNotAllowed, .credentials, .invalidHost, .didNotResolve, .resolutionFailed:
            return nil
        }
    }

    /// A `localhost` name or an address literal the address rules forbid.
    private static func isInternal(_ host: NormalizedHost) -> Bool {
        switch host {
        case .name(let name): name == "localhost" || name.hasSuffix(".localhost")
        case .ip(let address): AddressPolicy.classify(address) != nil
        }
    }
}
