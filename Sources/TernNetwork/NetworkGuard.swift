/// A URL cleared for fetching, and the address to connect to.
package struct AuthorizedTarget: Hashable, Sendable {
    /// The checked URL.
    package var target: CheckedTarget
    /// The address that was checked. Connect to it and nothing else (do not resolve the name
    /// again, or a short-TTL DNS answer could swap in a private address); send
    /// ``CheckedTarget/hostHeader`` as `Host` and the name for TLS.
    package var address: IPAddress

    /// Builds a cleared target.
    package init(target: CheckedTarget, address: IPAddress) {
        self.target = target
        self.address = address
    }
}

/// Tern's SSRF guard: the URL rules, resolution and the address rules in one call.
///
/// ``authorize(_:)`` runs ``URLPolicy/check(_:)-(String)``, resolves a name with the injected
/// ``HostResolver`` (address literals are not resolved), then
/// ``URLPolicy/checkResolved(_:addresses:)``. The HTTP client must dial the returned address,
/// and must authorise every redirect target the same way before following it.
package struct NetworkGuard: Sendable {
    /// The URL, port and allow-list rules.
    package var policy: URLPolicy
    /// Resolves names; `SystemHostResolver` in production, a static map in tests.
    package var resolver: any HostResolver

    /// Builds a guard.
    package init(policy: URLPolicy, resolver: any HostResolver) {
        self.policy = policy
        self.resolver = resolver
    }

    /// Checks `url` and returns the address to dial, or the rule that refused it.
    package func authorize(_ url: String) async throws(NetworkPolicyError) -> AuthorizedTarget {
        let target = try policy.check(url)
        let addresses: [IPAddress]
        switch target.normalizedHost {
        case .ip(let address):
            addresses = [address]
        case .name(let name):
            do {
                addresses = try await resolver.resolve(host: name, port: target.port)
            } catch HostResolutionError.notFound {
                throw NetworkPolicyError(url: url, reason: .didNotResolve(name))
            } catch is CancellationError {
                throw NetworkPolicyError(url: url, reason: .resolutionFailed(name, detail: "the lookup was cancelled"))
            } catch {
                throw NetworkPolicyError(url: url, reason: .resolutionFailed(name, detail: "\(error)"))
            }
        }
        return AuthorizedTarget(target: target, address: try policy.checkResolved(target, addresses: addresses))
    }
}
