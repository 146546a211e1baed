import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import TernCore

extension OpenAIClient {
    /// Throws an ``AttemptFailure`` for a non-2xx status. The error names only the server, the
    /// status and (when the body gives one) OpenAI's short error code; the upstream body, which
    /// may carry stack traces and file paths of the model server's machine, goes to the log.
    ///
    /// Deterministic failures are not retried: 4xx other than 408, 409 and 429, and a 500 whose
    /// body reads like a request validation error (pydantic/FastAPI servers answer bad requests
    /// that way).
    func checkStatus(_ response: HTTPClientResponse, for call: Call, watchdog: Watchdog) async throws {
        let status = Int(response.status.code)
        guard !(200..<300).contains(status) else { return }
        let data = try await readBody(response, upTo: 64 * 1024, for: call, watchdog: watchdog)
        let envelope = try? JSONDecoder().decode(WireErrorEnvelope.self, from: data)  // not JSON: no code name
        let text = redact(String(decoding: data.prefix(4000), as: UTF8.self))
        let deterministic =
            ((400..<500).contains(status) && ![408, 409, 429].contains(status))
            || (status == 500 && Self.looksLikeValidationError(text))
        logger.warning(
            "model server answered an error",
            metadata: [
                "server": "\(serverName)", "endpoint": "\(call.endpoint)", "status": "\(status)",
                "retryable": "\(!deterministic)", "body": "\(text)",
            ])
        let retryAfter = deterministic ? nil : RetryPolicy.parseRetryAfter(response.headers.first(name: "Retry-After"))
        throw AttemptFailure(
            error: ModelError.upstream(
                endpoint: call.endpoint, status: status,
                message: Self.publicMessage(status: status, codeName: envelope?.error?.codeName)),
            isRetryable: !deterministic, retryAfter: retryAfter)
    }

    /// The standard reason phrase of `status`, plus OpenAI's error code when it is a short
    /// identifier (`context_length_exceeded`), never free text from the server.
    static func publicMessage(status: Int, codeName: String?) -> String {
        let phrase = HTTPResponseStatus(statusCode: status).reasonPhrase
        let base = phrase.isEmpty ? "error" : phrase
        return safeCodeName(codeName).map { "\(base) (\($0))" } ?? base
    }

    /// `codeName` when it is a short identifier, never free text.
    static func safeCodeName(_ codeName: String?) -> String? {
        guard let codeName, codeName.count <= 64, !codeName.isEmpty,
            codeName.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
        else { return nil }
        return codeName
    }

    /// Whether an error body reads like a request validation failure (pydantic, FastAPI).
    static func looksLikeValidationError(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.contains("validation error") || lower.contains("validationerror")
            || lower.contains("\"loc\"") || lower.contains("[type=") || lower.contains("input should be")
    }

    /// Sorts any error of an attempt into a typed ``ModelError`` and whether to retry it.
    func classify(_ error: any Error, endpoint: String) -> AttemptFailure {
        if let failure = error as? AttemptFailure { return failure }
        if Task.isCancelled || error is CancellationError { return .final(CancellationError()) }
        if let error = error as? ModelError { return .final(error) }
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout:
                return .final(ModelError.timeout(endpoint: endpoint, seconds: configuration.connectTimeout.seconds))
            case .readTimeout:
                return .final(ModelError.timeout(endpoint: endpoint, seconds: configuration.readTimeout.seconds))
            case .deadlineExceeded:
                return .final(ModelError.timeout(endpoint: endpoint, seconds: configuration.requestTimeout.seconds))
            case .invalidURL, .emptyHost, .emptyScheme:
                return .final(
                    ModelError.notConfigured(hint: "the model server URL is not a valid http(s) URL (\(error))"))
            default:
                break
            }
        }
        if Self.isConnectionRefused(error) {
            return AttemptFailure(
                error: ModelError.connection(endpoint: endpoint, reason: "connection refused"), isRetryable: true,
                retryAfter: nil, isQuick: true)
        }
        logger.warning(
            "model server connection failed",
            metadata: ["server": "\(serverName)", "endpoint": "\(endpoint)", "error": "\(describe(error))"])
        return AttemptFailure(
            error: ModelError.connection(endpoint: endpoint, reason: Self.shortReason(error)), isRetryable: true,
            retryAfter: nil)
    }

    /// Whether the server's host answered the connection attempt with a refusal (nothing listens).
    static func isConnectionRefused(_ error: any Error) -> Bool {
        if let error = error as? IOError { return error.errnoCode == ECONNREFUSED }
        // NIOPosix's NIOConnectionError (not a dependency here) lists the refused attempts.
        return String(describing: error).localizedCaseInsensitiveContains("connection refused")
    }

    /// A short, address-free reason for a transport error.
    static func shortReason(_ error: any Error) -> String {
        switch error as? HTTPClientError {
        case .remoteConnectionClosed?: "the connection was closed"
        case .connectTimeout?: "connecting timed out"
        case .some(let error): "connection failed (\(error))"
        case nil: "connection failed"
        }
    }

    /// A description of a transport error for the log, with the API key redacted just in case.
    func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return redact(text.count > 300 ? String(text.prefix(300)) + "…" : text)
    }

    /// Records what a call found out; logs when the server turns reachable or unreachable.
    func note(_ evidence: ModelCallTracker.Evidence) {
        guard callTracker.record(evidence) else { return }
        switch evidence {
        case .reachable:
            logger.info("model server is reachable", metadata: ["server": "\(serverName)"])
        case .unreachable(let reason):
            logger.warning("model server is unreachable", metadata: ["server": "\(serverName)", "reason": "\(reason)"])
        }
    }

    /// Records a failed call as evidence when it says the server is gone or silent.
    func noteFailure(_ error: any Error) {
        switch error as? ModelError {
        case .connection(_, let reason)?: note(.unreachable(reason: reason))
        case .timeout(_, let seconds)?: note(.unreachable(reason: "no answer within \(Int(seconds)) s"))
        default: break
        }
    }
}
