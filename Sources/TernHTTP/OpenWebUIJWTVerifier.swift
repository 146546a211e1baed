package import Foundation
package import JWTKit
package import TernAgent
package import TernCore

/// Verifies Open WebUI's signed user (`X-OpenWebUI-User-Jwt`) with the secret it shares with Tern
/// (`FORWARD_USER_INFO_HEADER_JWT_SECRET` there, `TERN_OPENWEBUI_JWT_SECRET` here).
///
/// Open WebUI 0.12 signs `{sub, email, name, role, iss: "open-webui", iat, exp}` with HS256 and
/// `exp` five minutes ahead (`FORWARD_USER_INFO_HEADER_JWT_EXPIRES_SECONDS`). Only HS256 is
/// accepted: the header's `alg` is checked before the signature, so `none`, RS*/ES* and other
/// HMAC sizes are refused whatever they carry. jwt-kit compares the HMAC in constant time.
/// `exp` is required and checked against the injected clock with ``leeway``; `email` is required.
package struct OpenWebUIJWTVerifier: ForwardedTokenVerifier {
    /// Clock skew tolerated past `exp`.
    package static let leeway: TimeInterval = 60

    private let keys: JWTKeyCollection
    private let clock: any WallClock

    /// - Parameter secret: the shared secret, used as its UTF-8 bytes like Open WebUI (PyJWT) does;
    ///   at least 32 bytes (the configuration checks it; jwt-kit asserts it).
    package init(secret: String, clock: any WallClock = SystemWallClock()) async {
        precondition(secret.utf8.count >= 32, "an HS256 secret needs at least 32 bytes")
        self.keys = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.clock = clock
    }

    package func verify(_ token: String) async throws(IdentityError) -> ForwardedUser {
        let header: JWTHeader
        do {
            header = try DefaultJWTParser().parse(Array(token.utf8), as: AnyClaims.self).header
        } catch {
            throw Self.rejected("it is not a well-formed JWT")
        }
        guard header.alg == "HS256" else {
            throw Self.rejected("it is signed with '\(header.alg ?? "nothing")', but only HS256 is accepted")
        }
        let claims: Claims
        do {
            claims = try await keys.verify(token, as: Claims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw Self.rejected(
                "its signature does not match TERN_OPENWEBUI_JWT_SECRET, which must equal Open WebUI's "
                    + "FORWARD_USER_INFO_HEADER_JWT_SECRET")
        } catch {
            throw Self.rejected("it could not be verified (\(error))")
        }
        guard let expiry = claims.exp?.value else { throw Self.rejected("it has no exp claim") }
        guard clock.now() <= expiry.addingTimeInterval(Self.leeway) else {
            throw Self.rejected(
                "it expired at \(expiry.formatted(.iso8601)); if that seems wrong, check the clocks of both servers")
        }
        guard let email = claims.email?.trimmingCharacters(in: .whitespaces), !email.isEmpty else {
            throw Self.rejected("it has no email claim")
        }
        let name = claims.name?.trimmingCharacters(in: .whitespaces)
        return ForwardedUser(email: email, name: name?.isEmpty == false ? name : nil, role: claims.role)
    }

    private static func rejected(_ why: String) -> IdentityError {
        .forwardedIdentity("X-OpenWebUI-User-Jwt rejected: \(why)")
    }

    /// The claims Tern reads; the rest (`sub`, `iss`, `iat`) are ignored.
    struct Claims: JWTPayload {
        var email: String?
        var name: String?
        var role: String?
        var exp: ExpirationClaim?

        /// Expiry is checked by the verifier, against its injected clock and with leeway.
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// Reads only the header: decoding any JSON object as this succeeds.
    struct AnyClaims: JWTPayload {
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }
}
