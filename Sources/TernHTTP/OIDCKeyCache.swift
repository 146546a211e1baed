package import Foundation
package import JWTKit
package import TernCore

/// The provider's signing keys (its JWKS), fetched through an injected fetcher and cached.
///
/// A token whose `kid` is not in the cache triggers one refetch (keys rotate), but never more
/// often than ``minimumRefetchInterval``: a stream of tokens with made-up `kid`s cannot make Tern
/// hammer the provider. Concurrent callers share one fetch.
package actor OIDCKeyCache {
    /// The shortest time between two fetches caused by unknown `kid`s.
    package static let minimumRefetchInterval: TimeInterval = 10

    private let fetch: @Sendable () async throws -> [UInt8]
    private let clock: any WallClock
    private var keys: [String: JWK]?
    private var lastFetch: Date?
    private var inFlight: Task<[String: JWK], any Error>?

    /// - Parameter fetch: returns the JWKS document's bytes (`jwks_uri` of the discovery document).
    package init(clock: any WallClock = SystemWallClock(), fetch: @escaping @Sendable () async throws -> [UInt8]) {
        self.fetch = fetch
        self.clock = clock
    }

    /// The key named `kid` (or the only key, when the token names none).
    package func key(for kid: String?) async throws -> JWK {
        if keys == nil { keys = try await refresh() }
        if let found = Self.pick(kid, in: keys ?? [:]) { return found }
        let due = lastFetch.map { clock.now().timeIntervalSince($0) >= Self.minimumRefetchInterval } ?? true
        if due {
            keys = try await refresh()
            if let found = Self.pick(kid, in: keys ?? [:]) { return found }
        }
        throw OIDCError.invalidIDToken(
            kid.map { "it is signed with key '\($0)', which the provider's key set does not contain" }
                ?? "it names no key (kid) and the provider publishes more than one")
    }

    private static func pick(_ kid: String?, in keys: [String: JWK]) -> JWK? {
        if let kid { return keys[kid] }
        return keys.count == 1 ? keys.values.first : nil
    }

    private func refresh() async throws -> [String: JWK] {
        if let inFlight { return try await inFlight.value }
        let task = Task { [fetch] in try Self.parse(try await fetch()) }
        inFlight = task
        defer { inFlight = nil }
        lastFetch = clock.now()
        return try await task.value
    }

    /// The signing keys of a JWKS document by `kid`; keys without one get a synthetic `kid` (they
    /// are found only when they are the only key). Encryption keys (`use: enc`) and key types
    /// jwt-kit cannot verify with are left out.
    static func parse(_ bytes: [UInt8]) throws -> [String: JWK] {
        guard let document = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],  // nil: reported below
            let entries = document["keys"] as? [[String: Any]]
        else {
            throw OIDCError.provider("its key set (jwks_uri) is not a JSON object with a 'keys' array")
        }
        var keys: [String: JWK] = [:]
        for (index, entry) in entries.enumerated() where (entry["use"] as? String) != "enc" {
            guard let data = try? JSONSerialization.data(withJSONObject: entry),  // re-encoding parsed JSON
                var key = try? JSONDecoder().decode(JWK.self, from: data)  // nil: a key type jwt-kit does not know
            else { continue }
            let kid = key.keyIdentifier?.string ?? "#\(index)"
            key.keyIdentifier = JWKIdentifier(string: kid)
            keys[kid] = key
        }
        return keys
    }
}
