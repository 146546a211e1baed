package import Foundation
package import JWTKit
package import TernCore

/// Verifies an OpenID Connect `id_token` against the provider's published keys.
///
/// The header's `alg` must be in ``allowedAlgorithms`` (asymmetric only: never `none`, never an
/// HMAC, so a token "signed" with the provider's public key as an HMAC secret fails before any
/// key is touched) and must fit the key's type and declared `alg`. The key is picked by `kid`
/// only (jwt-kit would fall back to a default key for an unknown `kid`; Tern does not). Then:
/// the signature, `iss` equal to the issuer, `aud` containing the client id (with several
/// audiences, `azp` must be the client id), `exp` and `iat` within ``leeway`` of the injected
/// clock, a non-empty `sub`, and `nonce` equal (constant time) to the one sent with the login.
package struct OIDCTokenVerifier: Sendable {
    /// Clock skew tolerated on `exp` and `iat`.
    package static let leeway: TimeInterval = 60
    /// The signature algorithms accepted, all asymmetric.
    package static let allowedAlgorithms: Set<String> = [
        "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
    ]

    private let issuer: String
    private let clientID: String
    private let keys: OIDCKeyCache
    private let clock: any WallClock

    package init(issuer: String, clientID: String, keys: OIDCKeyCache, clock: any WallClock = SystemWallClock()) {
        self.issuer = issuer
        self.clientID = clientID
        self.keys = keys
        self.clock = clock
    }

    /// The token's claims, once every check passed; throws ``OIDCError/invalidIDToken(_:)`` saying
    /// which failed (or ``OIDCError/provider(_:)`` when the key set cannot be read).
    package func verify(_ token: String, nonce expectedNonce: String) async throws -> OIDCIDTokenClaims {
        let header: JWTHeader
        do {
            header = try DefaultJWTParser().parse(Array(token.utf8), as: OIDCIDTokenClaims.self).header
        } catch {
            throw OIDCError.invalidIDToken("it is not a well-formed JWT")
        }
        let algorithm = header.alg ?? "none"
        guard Self.allowedAlgorithms.contains(algorithm) else {
            throw OIDCError.invalidIDToken(
                "it is signed with '\(algorithm)', which is not accepted (only \(Self.allowedAlgorithms.sorted().joined(separator: ", ")))")
        }
        let key = try await keys.key(for: header.kid)
        try Self.check(key, fits: algorithm)
        let claims: OIDCIDTokenClaims
        do {
            claims = try await JWTKeyCollection().add(jwk: key).verify(token, as: OIDCIDTokenClaims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw OIDCError.invalidIDToken("its signature does not match the provider's key '\(key.keyIdentifier?.string ?? "")'")
        } catch {
            throw OIDCError.invalidIDToken("it could not be verified (\(error))")
        }
        try check(claims, nonce: expectedNonce)
        return claims
    }

    /// The key's type (and declared `alg`, if any) must be the header's algorithm family.
    static func check(_ key: JWK, fits algorithm: String) throws {
        let family: JWK.KeyType =
            switch algorithm.prefix(2) {
            case "RS", "PS": .rsa
            case "ES": .ecdsa
            default: .octetKeyPair
            }
        guard key.keyType == family else {
            throw OIDCError.invalidIDToken("its algorithm \(algorithm) does not fit the \(key.keyType.rawValue) key it names")
        }
        if let declared = key.algorithm, declared.rawValue != algorithm {
            throw OIDCError.invalidIDToken("it is signed with \(algorithm), but its key is for \(declared.rawValue)")
        }
    }

    private func check(_ claims: OIDCIDTokenClaims, nonce expectedNonce: String) throws {
        guard claims.issuer == issuer else {
            throw OIDCError.invalidIDToken("its issuer is '\(claims.issuer ?? "")', not '\(issuer)' (TERN_OIDC_ISSUER)")
        }
        guard claims.audience.contains(clientID) else {
            throw OIDCError.invalidIDToken(
                "its audience \(claims.audience) does not contain this client '\(clientID)' (TERN_OIDC_CLIENT_ID)")
        }
        if claims.audience.count > 1 || claims.authorizedParty != nil {
            guard claims.authorizedParty == clientID else {
                throw OIDCError.invalidIDToken(
                    "it has several audiences and its authorized party (azp) is '\(claims.authorizedParty ?? "")', not '\(clientID)'")
            }
        }
        let now = clock.now()
        guard let expires = claims.expires else { throw OIDCError.invalidIDToken("it has no exp claim") }
        guard now <= expires.addingTimeInterval(Self.leeway) else {
            throw OIDCError.invalidIDToken(
                "it expired at \(expires.formatted(.iso8601)); if that seems wrong, check the clocks of Tern and the provider")
        }
        guard let issuedAt = claims.issuedAt else { throw OIDCError.invalidIDToken("it has no iat claim") }
        guard issuedAt <= now.addingTimeInterval(Self.leeway) else {
            throw OIDCError.invalidIDToken(
                "it was issued in the future (\(issuedAt.formatted(.iso8601))); check the clocks of Tern and the provider")
        }
        guard let subject = claims.subject, !subject.isEmpty else { throw OIDCError.invalidIDToken("it has no sub claim") }
        guard let nonce = claims.nonce, constantTimeEquals(nonce, expectedNonce) else {
            throw OIDCError.invalidIDToken("its nonce does not match the one this browser's login sent")
        }
    }
}
