import Foundation
import JWTKit
import TernCore
import TernHTTP
import Testing

/// The `id_token` verification table: every way a token can be wrong, with keys made here.
@Suite struct OIDCTokenVerifierTests {
    let keys: OIDCTestKeys
    let clock = OIDCTestClock()
    let server: JWKSServer
    let verifier: OIDCTokenVerifier

    /// One RSA key for the whole suite: making a 2048-bit key takes a while in a debug build.
    static let sharedKeys = Result { try OIDCTestKeys() }

    init() throws {
        keys = try Self.sharedKeys.get()
        server = JWKSServer(try keys.jwks())
        let server = server
        verifier = OIDCTokenVerifier(
            issuer: OIDCTestKeys.issuer, clientID: OIDCTestKeys.clientID,
            keys: OIDCKeyCache(clock: clock) { server.fetch() }, clock: clock)
    }

    var now: Date { clock.now() }

    /// The message of the rejection, or "accepted".
    func outcome(_ token: String, nonce: String = "n-1") async -> String {
        do {
            _ = try await verifier.verify(token, nonce: nonce)
            return "accepted"
        } catch let error as OIDCError {
            return error.description
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func verify_acceptsES256AndRS256() async throws {
        let claims = try await verifier.verify(try await keys.signES256(OIDCTestKeys.claims(now: now)), nonce: "n-1")
        #expect(claims.subject == "user-42")
        #expect(claims.email == "ada@example.test")
        #expect(await outcome(try await keys.signRS256(OIDCTestKeys.claims(now: now))) == "accepted")
        #expect(server.fetches == 1)
    }

    @Test func verify_rejectsBadSignature() async throws {
        let token = try await keys.signES256(OIDCTestKeys.claims(now: now))
        var parts = token.split(separator: ".").map(String.init)
        let other = try await JWTKeyCollection().add(ecdsa: ES256PrivateKey(), kid: "ec-1")
            .sign(OIDCTestKeys.claims(now: now), kid: "ec-1")
        parts[2] = String(other.split(separator: ".")[2])
        #expect(await outcome(parts.joined(separator: ".")).contains("signature does not match"))
    }

    @Test func verify_rejectsTamperedPayload() async throws {
        let token = try await keys.signES256(OIDCTestKeys.claims(now: now))
        var parts = token.split(separator: ".").map(String.init)
        var claims = OIDCTestKeys.claims(now: now)
        claims.subject = "admin"
        parts[1] = try JSONEncoder().encode(claims).base64URLEncoded
        #expect(await outcome(parts.joined(separator: ".")).contains("signature does not match"))
    }

    @Test func verify_rejectsWrongAudience() async throws {
        var claims = OIDCTestKeys.claims(now: now)
        claims.audience = ["someone-else"]
        #expect(await outcome(try await keys.signES256(claims)).contains("does not contain this client 'tern-portal'"))
    }

    @Test func verify_severalAudiencesNeedAzp() async throws {
        var claims = OIDCTestKeys.claims(now: now)
        claims.audience = [OIDCTestKeys.clientID, "other"]
        #expect(await outcome(try await keys.signES256(claims)).contains("authorized party (azp)"))
        claims.authorizedParty = OIDCTestKeys.clientID
        #expect(await outcome(try await keys.signES256(claims)) == "accepted")
    }

    @Test func verify_rejectsWrongIssuer() async throws {
        var claims = OIDCTestKeys.claims(now: now)
        claims.issuer = "https://evil.example.test"
        #expect(await outcome(try await keys.signES256(claims)).contains("its issuer is 'https://evil.example.test'"))
    }

    @Test func verify_expiryWithSixtySecondsLeeway() async throws {
        let token = try await keys.signES256(OIDCTestKeys.claims(now: now))
        clock.advance(300 + 59)
        #expect(await outcome(token) == "accepted")
        clock.advance(2)
        #expect(await outcome(token).contains("it expired at"))
    }

    @Test func verify_rejectsTokenIssuedInTheFuture() async throws {
        var claims = OIDCTestKeys.claims(now: now)
        claims.issuedAt = now.addingTimeInterval(61)
        #expect(await outcome(try await keys.signES256(claims)).contains("issued in the future"))
        claims.issuedAt = now.addingTimeInterval(59)
        #expect(await outcome(try await keys.signES256(claims)) == "accepted")
    }

    @Test func verify_rejectsWrongOrMissingNonce() async throws {
        let token = try await keys.signES256(OIDCTestKeys.claims(now: now))
        #expect(await outcome(token, nonce: "n-2").contains("nonce does not match"))
        var claims = OIDCTestKeys.claims(now: now)
        claims.nonce = nil
        #expect(await outcome(try await keys.signES256(claims)).contains("nonce does not match"))
    }

    @Test func verify_rejectsMissingClaims() async throws {
        var claims = OIDCTestKeys.claims(now: now)
        claims.subject = nil
        #expect(await outcome(try await keys.signES256(claims)).contains("no sub claim"))
        claims = OIDCTestKeys.claims(now: now)
        claims.expires = nil
        #expect(await outcome(try await keys.signES256(claims)).contains("no exp claim"))
    }

    @Test func verify_rejectsAlgNone() async throws {
        let header = Data(#"{"alg":"none","kid":"ec-1","typ":"JWT"}"#.utf8).base64URLEncoded
        let payload = try JSONEncoder().encode(OIDCTestKeys.claims(now: now)).base64URLEncoded
        #expect(await outcome("\(header).\(payload).").contains("signed with 'none', which is not accepted"))
        #expect(server.fetches == 0)
    }

    @Test func verify_rejectsHS256SignedWithThePublicKey() async throws {
        // The classic confusion: the provider's public key, as published, used as an HMAC secret.
        for secret in [keys.rsa.publicKey.pemRepresentation, String(decoding: try keys.jwks(), as: UTF8.self)] {
            let token = try await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
                .sign(OIDCTestKeys.claims(now: now), header: ["kid": "rsa-1"])
            #expect(await outcome(token).contains("signed with 'HS256', which is not accepted"))
        }
        #expect(server.fetches == 0)
    }

    @Test func verify_rejectsAlgorithmThatDoesNotFitTheKey() async throws {
        // An ES256 token naming the RSA key: refused before jwt-kit picks a signer for it.
        let token = try await keys.signES256(OIDCTestKeys.claims(now: now), kid: "rsa-1")
        #expect(await outcome(token).contains("does not fit the RSA key"))
    }

    @Test func verify_unknownKidRefetchesOnceThenAccepts() async throws {
        _ = try await verifier.verify(try await keys.signES256(OIDCTestKeys.claims(now: now)), nonce: "n-1")
        #expect(server.fetches == 1)
        // The provider rotates: the EC key is now published as ec-2.
        server.publish(try keys.jwks(ecKID: "ec-2"))
        clock.advance(11)
        #expect(await outcome(try await keys.signES256(OIDCTestKeys.claims(now: now), kid: "ec-2")) == "accepted")
        #expect(server.fetches == 2)
    }

    @Test func verify_unknownKidRefetchesOnceThenRejects() async throws {
        _ = try await verifier.verify(try await keys.signES256(OIDCTestKeys.claims(now: now)), nonce: "n-1")
        clock.advance(11)
        let token = try await keys.signES256(OIDCTestKeys.claims(now: now), kid: "made-up")
        #expect(await outcome(token).contains("key 'made-up', which the provider's key set does not contain"))
        #expect(server.fetches == 2)
        // Within 10 s of that fetch another unknown kid does not fetch again.
        clock.advance(5)
        #expect(await outcome(try await keys.signES256(OIDCTestKeys.claims(now: now), kid: "other")).contains("does not contain"))
        #expect(server.fetches == 2)
        clock.advance(6)
        _ = await outcome(try await keys.signES256(OIDCTestKeys.claims(now: now), kid: "third"))
        #expect(server.fetches == 3)
    }

    @Test func verify_unreadableKeySetIsAProviderError() async throws {
        server.publish(Array("<html>".utf8))
        #expect(await outcome(try await keys.signES256(OIDCTestKeys.claims(now: now))).contains("is not a JSON object with a 'keys' array"))
    }
}
