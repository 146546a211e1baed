package import Foundation
package import Hummingbird
import NIOFoundationCompat
import TernAgent
import TernCore

/// An error answered in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.
///
/// Every error Tern's HTTP API returns has this shape, so OpenAI clients can show it.
package struct APIError: Error, HTTPResponseError, Equatable {
    package var status: HTTPResponse.Status
    package var message: String
    package var type: String
    package var param: String?
    package var code: String?
    package var headers: HTTPFields

    package init(
        status: HTTPResponse.Status, message: String, type: String = "invalid_request_error",
        param: String? = nil, code: String? = nil, headers: HTTPFields = [:]
    ) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers
    }

    /// A 400 that names the offending field.
    package static func invalid(_ message: String, param: String?, code: String? = nil) -> APIError {
        APIError(status: .badRequest, message: message, param: param, code: code)
    }

    struct Body: Encodable {
        struct Detail: Encodable {
            var message: String
            var type: String
            var param: String?
            var code: String?

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(message, forKey: .message)
                try container.encode(type, forKey: .type)
                // OpenAI always sends these keys, null when unset.
                try container.encode(param, forKey: .param)
                try container.encode(code, forKey: .code)
            }

            enum CodingKeys: String, CodingKey { case message, type, param, code }
        }

        var error: Detail
    }

    /// The JSON body, also used inside SSE frames when a stream fails midway.
    package var jsonBody: Data {
        let body = Body(error: .init(message: message, type: type, param: param, code: code))
        // Encoding plain strings cannot fail.
        return (try? JSONEncoder.tern.encode(body)) ?? Data(#"{"error":{"message":"error"}}"#.utf8)
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: jsonBody)))
    }
}

extension JSONEncoder {
    /// Compact, stable key order, no escaped slashes. One shared instance: `JSONEncoder` is
    /// safe to use from many tasks at once, and making one per response cost a class and its
    /// options each time. Never change its options.
    package static let tern: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

extension APIError {
    /// Maps an error from any layer to what the API answers. Errors the caller cannot act on
    /// become a 500 without internal detail (the detail goes to the log).
    package static func from(_ error: any Error) -> APIError? {
        switch error {
        case let error as APIError:
            return error
        case let error as ModelError:
            return from(error)
        case let error as AgentError:
            switch error {
            case .planFailed:
                return APIError(status: .badGateway, message: error.description, type: "server_error", code: "plan_failed")
            case .badCommand(let message):
                return APIError(status: .badRequest, message: message, code: "invalid_command")
            case .clientTools(let message):
                return APIError(status: .badRequest, message: message, param: "tools", code: "invalid_tools")
            case .forbidden(let message):
                return APIError(status: .forbidden, message: message, type: "permission_error", code: "role_forbids")
            }
        case let error as StoreError:
            switch error {
            case .notFound(let what):
                return APIError(status: .notFound, message: "not found: \(what)", code: "not_found")
            case .conflict(let what):
                return APIError(status: .conflict, message: what, code: "conflict")
            case .invalid(let what):
                return APIError(status: .badRequest, message: what, code: "invalid_value")
            case .database, .migration:
                return nil
            }
        case let error as HTTPError:
            return APIError(
                status: error.status, message: error.body ?? error.status.reasonPhrase,
                type: error.status.code >= 500 ? "server_error" : "invalid_request_error",
                headers: error.headers)
        default:
            return nil
        }
    }

    private static func from(_ error: ModelError) -> APIError {
        switch error {
        case .notConfigured:
            return APIError(
                status: .serviceUnavailable, message: error.publicDescription, type: "server_error",
                code: "llm_not_configured")
        case .upstream(_, let status, _):
            let mapped: HTTPResponse.Status = status == 429 ? .tooManyRequests : .badGateway
            return APIError(status: mapped, message: error.publicDescription, type: "upstream_error", code: "upstream_\(status)")
        case .timeout:
            return APIError(status: .gatewayTimeout, message: error.publicDescription, type: "upstream_error", code: "upstream_timeout")
        case .connection, .invalidResponse:
            return APIError(status: .badGateway, message: error.publicDescription, type: "upstream_error", code: "upstream_unavailable")
        case .incomplete:
            // The partial answer is stored as incomplete; a stream that already sent content ends
            // with this as its error frame.
            return APIError(status: .badGateway, message: error.publicDescription, type: "upstream_error", code: "upstream_incomplete")
        }
    }
}
