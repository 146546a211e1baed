import PostgresNIO
import TernCore

/// Turns PostgresNIO's errors into ``StoreError``s with a useful message.
///
/// PostgresNIO's own `description`s are deliberately generic ("PSQLError – Generic
/// description…"), so this reads the parts that help: the server's SQLSTATE and message, or the
/// connection problem. It never includes a statement's bound values, the server's `detail`
/// field (which can quote row data) or the password.
enum PostgresErrors {
    /// SQLSTATE `unique_violation`.
    static let uniqueViolation = "23505"
    /// SQLSTATE `character_not_in_repertoire`: "invalid byte sequence for encoding "UTF8": 0x00".
    /// A Swift `String` is valid UTF-8, so the one byte sequence PostgreSQL refuses is NUL.
    static let characterNotInRepertoire = "22021"
    /// SQLSTATE `untranslatable_character`: e.g. "unsupported Unicode escape sequence" for `\u0000`
    /// in `jsonb`.
    static let untranslatableCharacter = "22P05"
    /// What a NUL character in stored text answers: the caller's input is at fault, not the database.
    static let nulCharacterMessage = "text contains a NUL character, which cannot be stored"

    /// A driver error as a ``StoreError`` naming the server at `location` (a cancelled query as
    /// `CancellationError`); any other error unchanged.
    static func map(_ error: any Error, location: String) -> any Error {
        switch error {
        case let error as StoreError:
            return error
        case is CancellationError:
            return error
        case let error as PSQLError:
            if error.code == .queryCancelled, Task.isCancelled { return CancellationError() }
            if error.code == .server {
                switch error.serverInfo?[.sqlState] {
                case uniqueViolation:
                    return StoreError.conflict(describe(error))
                case characterNotInRepertoire, untranslatableCharacter:
                    // PostgreSQL text cannot hold U+0000 (SQLite can): bad input, a 400 at the edge.
                    return StoreError.invalid(nulCharacterMessage)
                default:
                    break
                }
                return StoreError.database("PostgreSQL at \(location): \(describe(error))")
            }
            if isConnectionProblem(error.code) {
                return StoreError.database("connection to PostgreSQL at \(location) failed: \(describe(error))")
            }
            return StoreError.database("PostgreSQL at \(location): \(describe(error))")
        case let error as PostgresDecodingError:
            return StoreError.database("PostgreSQL at \(location): \(describe(error))")
        default:
            // Not the driver's: the caller's own error (or SQLKit's), passed on as SQLite passes it.
            return error
        }
    }

    /// A one-line explanation of `error` that is safe to show and log.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as PSQLError:
            return describe(error)
        case let error as PostgresDecodingError:
            return "cannot decode column '\(error.columnName)' of type \(error.postgresType) as \(error.targetType)"
        case let error as StoreError:
            return error.description
        default:
            return String(describing: error)
        }
    }

    private static func describe(_ error: PSQLError) -> String {
        if error.code == .server, let info = error.serverInfo {
            var text = info[.message] ?? "server error"
            if let state = info[.sqlState] { text += " (SQLSTATE \(state))" }
            if let hint = info[.hint] { text += "; hint: \(hint)" }
            return text
        }
        let summary: String
        switch error.code {
        case .connectionError: summary = "cannot open a connection"
        case .serverClosedConnection: summary = "the server closed the connection"
        case .clientClosedConnection, .uncleanShutdown: summary = "the connection was closed"
        case .poolClosed: summary = "the connection pool is closed"
        case .sslUnsupported: summary = "the server does not offer TLS, but sslmode asks for it"
        case .failedToAddSSLHandler, .receivedUnencryptedDataAfterSSLRequest: summary = "TLS setup failed"
        case .authMechanismRequiresPassword: summary = "the server asks for a password and the URL has none"
        case .unsupportedAuthMechanism: summary = "the server asks for an authentication method PostgresNIO lacks"
        case .saslError: summary = "SCRAM authentication failed"
        case .queryCancelled: summary = "the query was cancelled"
        case .tooManyParameters: summary = "too many bound parameters"
        default: summary = "protocol error (\(error.code))"
        }
        guard let underlying = error.underlying else { return summary }
        return "\(summary): \(describe(underlying))"
    }

    private static func isConnectionProblem(_ code: PSQLError.Code) -> Bool {
        [
            .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown,
            .poolClosed, .sslUnsupported, .failedToAddSSLHandler, .receivedUnencryptedDataAfterSSLRequest,
            .authMechanismRequiresPassword, .unsupportedAuthMechanism, .saslError,
        ].contains(code)
    }
}
