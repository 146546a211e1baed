import Foundation

/// Why a Telegram Bot API call failed. Each case names the API method (`sendMessage`, …).
///
/// No case ever holds the bot token: server descriptions and transport reasons are redacted
/// (the token becomes `<token>`) before they are stored here.
package enum BotAPIError: Error, Equatable, CustomStringConvertible {
    /// `429 Too Many Requests`, still there after the allowed retries. `retryAfter` is Telegram's
    /// `parameters.retry_after` in seconds (0 when it sent none).
    case rateLimited(retryAfter: Int, method: String)
    /// Telegram answered `ok: false` (a 4xx other than 401/404/429, or a 5xx after the retries).
    case api(method: String, code: Int, description: String)
    /// No answer: the connection failed or broke, or the call took longer than allowed.
    case transport(method: String, reason: String)
    /// An answer that is not the Bot API's JSON (or whose `result` has an unexpected shape).
    case invalidResponse(method: String, reason: String)
    /// `401 Unauthorized` or `404 Not Found` from the bot path: the token is wrong or revoked.
    case unauthorized(method: String)

    /// The API method the failed call was for.
    package var method: String {
        switch self {
        case .rateLimited(_, let method), .api(let method, _, _), .transport(let method, _),
            .invalidResponse(let method, _), .unauthorized(let method):
            method
        }
    }

    package var description: String {
        switch self {
        case .rateLimited(let retryAfter, let method):
            "Telegram rate-limited \(method) (retry after \(retryAfter) s)"
        case .api(let method, let code, let description):
            "Telegram answered \(code) to \(method): \(description)"
        case .transport(let method, let reason):
            "could not reach Telegram for \(method): \(reason)"
        case .invalidResponse(let method, let reason):
            "Telegram sent an invalid response to \(method): \(reason)"
        case .unauthorized(let method):
            "Telegram rejected the bot token on \(method): check the token from @BotFather"
        }
    }
}
