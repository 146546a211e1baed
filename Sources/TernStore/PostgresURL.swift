import Foundation

/// A parsed `postgres://user:password@host:port/database?sslmode=…` URL.
///
/// The password is kept for connecting but never appears in ``description``, ``location`` or
/// any error this type throws.
package struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// How the connection is encrypted, from the `sslmode` parameter.
    package enum TLSMode: String, Sendable, Equatable {
        /// Plain TCP (`disable`, `allow`, `prefer` or no `sslmode`).
        case disable
        /// Encrypted, but the server's certificate is not checked (`require`).
        case require
        /// Encrypted, certificate checked against the system's CAs, host name not (`verify-ca`).
        case verifyCA = "verify-ca"
        /// Encrypted, certificate and host name checked (`verify-full`).
        case verifyFull = "verify-full"
    }

    /// The server's host name or IP address.
    package var host: String
    /// The server's TCP port (5432 unless the URL names another).
    package var port: Int
    /// The role to log in as.
    package var username: String
    /// The role's password, if the URL has one. Never logged.
    package var password: String?
    /// The database to connect to.
    package var database: String
    /// The `sslmode`.
    package var tls: TLSMode
    /// How long one connection attempt may take (`connect_timeout` in seconds; 5 by default).
    package var connectTimeout: Duration

    /// The schemes Tern accepts.
    package static let schemes: Set<String> = ["postgres", "postgresql"]

    /// Parses `string`; every error names what is wrong and never repeats the password.
    package init(parsing string: String) throws(PostgresURLError) {
        guard let components = URLComponents(string: string) else {
            throw PostgresURLError(
                "is not a valid URL; expected postgres://user:password@host:5432/database")
        }
        guard let scheme = components.scheme?.lowercased(), Self.schemes.contains(scheme) else {
            throw PostgresURLError("must start with postgres:// or postgresql://")
        }
        guard let host = components.host, !host.isEmpty else {
            throw PostgresURLError("has no host; expected postgres://user:password@host:5432/database")
        }
        guard let username = components.user, !username.isEmpty else {
            throw PostgresURLError("has no user name; expected postgres://user:password@\(host)/database")
        }
        var database = components.path
        if database.hasPrefix("/") { database.removeFirst() }
        guard !database.isEmpty, !database.contains("/") else {
            throw PostgresURLError(
                "needs exactly one database name after the host, e.g. postgres://user:password@\(host)/tern")
        }
        var tls = TLSMode.disable
        var connectTimeout = Duration.seconds(5)
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name.lowercased() {
            case "sslmode":
                switch value.lowercased() {
                case "disable", "allow", "prefer": tls = .disable
                case let other:
                    guard let mode = TLSMode(rawValue: other) else {
                        throw PostgresURLError(
                            "sslmode must be disable, allow, prefer, require, verify-ca or verify-full, got '\(value)'")
                    }
                    tls = mode
                }
            case "connect_timeout":
                guard let seconds = Int(value), (1...300).contains(seconds) else {
                    throw PostgresURLError("connect_timeout must be whole seconds from 1 to 300, got '\(value)'")
                }
                connectTimeout = .seconds(seconds)
            default:
                throw PostgresURLError(
                    "has an unsupported parameter '\(item.name)'; supported: sslmode, connect_timeout")
            }
        }
        self.host = host
        self.port = components.port ?? 5432
        self.username = username
        self.password = components.password
        self.database = database
        self.tls = tls
        self.connectTimeout = connectTimeout
    }

    /// `host:port/database`, for messages and logs.
    package var location: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(shownHost):\(port)/\(database)"
    }

    /// The URL with the password replaced by `***`: safe to log.
    package var description: String { render(password: password.map { _ in "***" }) }

    /// The full URL including the password, for handing to another connection. Never log it.
    package var secretURLString: String { render(password: password) }

    private func render(password: String?) -> String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.host = host
        components.port = port
        components.user = username
        components.password = password
        components.path = "/" + database
        var items: [URLQueryItem] = []
        if tls != .disable { items.append(URLQueryItem(name: "sslmode", value: tls.rawValue)) }
        if connectTimeout != .seconds(5) {
            items.append(URLQueryItem(name: "connect_timeout", value: "\(connectTimeout.components.seconds)"))
        }
        if !items.isEmpty { components.queryItems = items }
        return components.string ?? "postgres://\(username)@\(location)"
    }
}

/// Why a PostgreSQL URL was refused. The message never contains the password.
package struct PostgresURLError: Error, Equatable, CustomStringConvertible {
    /// What is wrong, phrased to follow "the PostgreSQL URL …".
    package var problem: String

    /// An error saying the URL `problem`.
    package init(_ problem: String) {
        self.problem = problem
    }

    package var description: String { "the PostgreSQL URL \(problem)" }
}
