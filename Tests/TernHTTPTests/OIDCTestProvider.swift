import TernHTTP
import Foundation
import JWTKit
import Synchronization
import TernCore
import _CryptoExtras

/// Keys made in the test, a JWKS naming them, and `id_token`s signed with them.
struct OIDCTestKeys: Sendable {
    static let issuer = "https://idp.example.test"
    static let clientID = "tern-portal"

    let ec = ES256PrivateKey()
    let rsa: JWTKit.Insecure.RSA.PrivateKey

    init() throws {
        rsa = try JWTKit.Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
    }

    /// The public JWKS; `ecKID`/`rsaKID` name the keys (nil leaves a key out).
    func jwks(ecKID: String? = "ec-1", rsaKID: String? = "rsa-1") throws -> [UInt8] {
        var keys: [[String: String]] = []
        if let ecKID, let parameters = ec.publicKey.parameters {
            keys.append(["kty": "EC", "crv": "P-256", "x": parameters.x, "y": parameters.y, "kid": ecKID, "use": "sig"])
        }
        if let rsaKID {
            let (modulus, exponent) = try rsa.publicKey.getKeyPrimitives()
            keys.append([
                "kty": "RSA", "n": modulus.base64URLEncoded, "e": exponent.base64URLEncoded, "kid": rsaKID, "alg": "RS256", "use": "sig",
            ])
        }
        return Array(try JSONSerialization.data(withJSONObject: ["keys": keys]))
    }

    /// Claims that pass every check at `now` with nonce `n-1`.
    static func claims(now: Date, nonce: String = "n-1") -> OIDCIDTokenClaims {
        OIDCIDTokenClaims(
            issuer: issuer, subject: "user-42", audience: [clientID], expires: now.addingTimeInterval(300),
            issuedAt: now, nonce: nonce, email: "ada@example.test", emailVerified: true, name: "Ada")
    }

    func signES256(_ claims: OIDCIDTokenClaims, kid: String = "ec-1") async throws -> String {
        try await JWTKeyCollection().add(ecdsa: ec, kid: JWKIdentifier(string: kid)).sign(claims, kid: JWKIdentifier(string: kid))
    }

    func signRS256(_ claims: OIDCIDTokenClaims, kid: String = "rsa-1") async throws -> String {
        try await JWTKeyCollection().add(rsa: rsa, digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
            .sign(claims, kid: JWKIdentifier(string: kid))
    }
}

/// Counts JWKS fetches and serves whatever the test put there.
final class JWKSServer: Sendable {
    private let state: Mutex<(document: [UInt8], fetches: Int)>

    init(_ document: [UInt8]) {
        state = Mutex((document, 0))
    }

    var fetches: Int { state.withLock { $0.fetches } }

    func publish(_ document: [UInt8]) {
        state.withLock { $0.document = document }
    }

    func fetch() -> [UInt8] {
        state.withLock { state in
            state.fetches += 1
            return state.document
        }
    }
}

/// A clock the test moves.
final class OIDCTestClock: WallClock {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start)
    }

    func now() -> Date { current.withLock { $0 } }

    func advance(_ seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}
