package import Foundation
package import JWTKit

/// The claims of an OpenID Connect `id_token` that Tern reads. Decoding is lenient where
/// providers differ (`aud` string or array, `email_verified` as a string, `groups` as one string);
/// the checks themselves are ``OIDCTokenVerifier``'s.
package struct OIDCIDTokenClaims: JWTPayload, Equatable {
    package var issuer: String?
    package var subject: String?
    package var audience: [String]
    package var authorizedParty: String?
    package var expires: Date?
    package var issuedAt: Date?
    package var nonce: String?
    package var email: String?
    package var emailVerified: Bool?
    package var name: String?
    package var preferredUsername: String?
    package var groups: [String]

    package init(
        issuer: String?, subject: String?, audience: [String], authorizedParty: String? = nil, expires: Date?,
        issuedAt: Date?, nonce: String?, email: String? = nil, emailVerified: Bool? = nil, name: String? = nil,
        preferredUsername: String? = nil, groups: [String] = []
    ) {
        self.issuer = issuer
        self.subject = subject
        self.audience = audience
        self.authorizedParty = authorizedParty
        self.expires = expires
        self.issuedAt = issuedAt
        self.nonce = nonce
        self.email = email
        self.emailVerified = emailVerified
        self.name = name
        self.preferredUsername = preferredUsername
        self.groups = groups
    }

    enum CodingKeys: String, CodingKey {
        case issuer = "iss", subject = "sub", audience = "aud", authorizedParty = "azp", expires = "exp"
        case issuedAt = "iat", nonce, email, emailVerified = "email_verified", name
        case preferredUsername = "preferred_username", groups
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        issuer = try container.decodeIfPresent(String.self, forKey: .issuer)
        subject = try container.decodeIfPresent(String.self, forKey: .subject)
        audience = try Self.strings(container, .audience)
        authorizedParty = try container.decodeIfPresent(String.self, forKey: .authorizedParty)
        expires = try container.decodeIfPresent(Double.self, forKey: .expires).map(Date.init(timeIntervalSince1970:))
        issuedAt = try container.decodeIfPresent(Double.self, forKey: .issuedAt).map(Date.init(timeIntervalSince1970:))
        nonce = try container.decodeIfPresent(String.self, forKey: .nonce)
        email = try container.decodeIfPresent(String.self, forKey: .email)
        if let flag = try? container.decodeIfPresent(Bool.self, forKey: .emailVerified) {  // nil: not a Bool, try text
            emailVerified = flag
        } else {
            emailVerified = try container.decodeIfPresent(String.self, forKey: .emailVerified).map { $0 == "true" }
        }
        name = try container.decodeIfPresent(String.self, forKey: .name)
        preferredUsername = try container.decodeIfPresent(String.self, forKey: .preferredUsername)
        groups = (try? Self.strings(container, .groups)) ?? []  // a groups claim of another shape grants nothing
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(issuer, forKey: .issuer)
        try container.encodeIfPresent(subject, forKey: .subject)
        try container.encode(audience, forKey: .audience)
        try container.encodeIfPresent(authorizedParty, forKey: .authorizedParty)
        try container.encodeIfPresent(expires.map { Int($0.timeIntervalSince1970) }, forKey: .expires)
        try container.encodeIfPresent(issuedAt.map { Int($0.timeIntervalSince1970) }, forKey: .issuedAt)
        try container.encodeIfPresent(nonce, forKey: .nonce)
        try container.encodeIfPresent(email, forKey: .email)
        try container.encodeIfPresent(emailVerified, forKey: .emailVerified)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encodeIfPresent(preferredUsername, forKey: .preferredUsername)
        if !groups.isEmpty { try container.encode(groups, forKey: .groups) }
    }

    /// A claim that is one string or an array of strings.
    private static func strings(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> [String] {
        guard container.contains(key) else { return [] }
        if let one = try? container.decode(String.self, forKey: key) { return [one] }  // nil: an array, decoded next
        return try container.decode([String].self, forKey: key)
    }

    /// Every check is ``OIDCTokenVerifier``'s, against its injected clock.
    package func verify(using algorithm: some JWTAlgorithm) async throws {}
}
