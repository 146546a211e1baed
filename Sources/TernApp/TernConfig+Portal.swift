import Foundation

extension TernConfig {
    /// The admin portal's sign-in: where Tern is reachable, how long sessions last, the identity
    /// provider.
    package struct Portal: Sendable, Equatable {
        /// `TERN_PUBLIC_URL` without a trailing `/` (`https://tern.example.com`); `nil` when empty.
        /// OIDC redirects and printed login links start with it.
        package var publicURL: String?
        /// `TERN_ADMIN_SESSION_IDLE_MINUTES`: a session unused this long ends.
        package var idleMinutes: Int = 30
        /// `TERN_ADMIN_SESSION_MAX_HOURS`: a session ends this long after sign-in, however used.
        package var maxHours: Int = 12
        /// The identity provider; `nil` without `TERN_OIDC_ISSUER` (only login links sign in).
        package var oidc: OIDC?

        package init(publicURL: String? = nil, idleMinutes: Int = 30, maxHours: Int = 12, oidc: OIDC? = nil) {
            self.publicURL = publicURL
            self.idleMinutes = idleMinutes
            self.maxHours = maxHours
            self.oidc = oidc
        }
    }

    /// `TERN_OIDC_*` and `TERN_ADMIN_EMAILS`: all of issuer, client id and secret, or none.
    package struct OIDC: Sendable, Equatable {
        package var issuer: String
        package var clientID: String
        /// A secret: never printed.
        package var clientSecret: String
        /// Emails made admin at their first login (normalised by the account linker).
        package var adminEmails: Set<String>
        /// A group in the `groups` claim that makes its members admin at their first login.
        package var adminGroup: String?
    }
}

extension ValueReader {
    /// The portal's settings; a partial OIDC setup is a problem naming each missing key.
    mutating func portal() -> TernConfig.Portal {
        var publicURL: String?
        let rawURL = string(.publicURL)
        if !rawURL.isEmpty {
            if let url = URL(string: rawURL), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                url.host?.isEmpty == false, url.query == nil, url.fragment == nil
            {
                publicURL = rawURL.hasSuffix("/") ? String(rawURL.dropLast()) : rawURL
            } else {
                problems.append(
                    "\(subject(.publicURL)) must be the http(s) URL browsers reach Tern at, such as https://tern.example.com; got '\(rawURL)'"
                )
            }
        }
        let idleMinutes = integer(.adminSessionIdleMinutes, in: 1...1440)
        let maxHours = integer(.adminSessionMaxHours, in: 1...720)
        if idleMinutes > maxHours * 60 {
            problems.append(
                "\(subject(.adminSessionIdleMinutes)) (\(idleMinutes)) is longer than \(subject(.adminSessionMaxHours)) (\(maxHours) h)")
        }
        return TernConfig.Portal(
            publicURL: publicURL, idleMinutes: idleMinutes, maxHours: maxHours, oidc: oidc(publicURL: rawURL))
    }

    private mutating func oidc(publicURL: String) -> TernConfig.OIDC? {
        let required: [ConfigKey] = [.oidcIssuer, .oidcClientID, .oidcClientSecret]
        let dependent: [ConfigKey] = [.adminEmails, .oidcAdminGroup]
        let set = (required + dependent).filter { !string($0).isEmpty }
        guard !set.isEmpty else { return nil }
        let named = set.map { subject($0) }.joined(separator: ", ")
        let missing = required.filter { string($0).isEmpty }
        for key in missing {
            problems.append(
                "\(key.rawValue) is empty, but \(named) \(set.count == 1 ? "is" : "are") set: OIDC login needs \(required.map(\.rawValue).joined(separator: ", "))"
            )
        }
        if publicURL.isEmpty {
            problems.append("\(ConfigKey.publicURL.rawValue) is empty, but OIDC login (\(named)) needs it for its redirect URL")
        }
        let issuer = string(.oidcIssuer)
        if !issuer.isEmpty, !(issuer.lowercased().hasPrefix("https://") || issuer.lowercased().hasPrefix("http://")) {
            problems.append("\(subject(.oidcIssuer)) must be the provider's http(s) issuer URL, got '\(issuer)'")
        }
        var adminEmails: Set<String> = []
        for part in string(.adminEmails).split(separator: ",") {
            let email = part.trimmingCharacters(in: .whitespaces)
            if email.isEmpty { continue }
            guard email.contains("@") else {
                problems.append("\(subject(.adminEmails)) must be email addresses, comma-separated; got '\(email)'")
                continue
            }
            adminEmails.insert(email)
        }
        guard missing.isEmpty else { return nil }
        let group = string(.oidcAdminGroup)
        return TernConfig.OIDC(
            issuer: issuer, clientID: string(.oidcClientID), clientSecret: string(.oidcClientSecret),
            adminEmails: adminEmails, adminGroup: group.isEmpty ? nil : group)
    }
}
