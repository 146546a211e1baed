import TernCore

/// What a chat user (Telegram, and any channel without the HTTP API's error mapping) is told
/// when a turn fails: what they can act on, never the model server's address, a database
/// location or another internal detail — those stay in the log, next to this text.
package func userFacingDescription(of error: any Error) -> String {
    switch error {
    case let error as ModelError:
        return error.publicDescription
    case let error as AgentError:
        return error.description
    case StoreError.notFound(let what):
        return "not found: \(what)"
    case StoreError.conflict(let what), StoreError.invalid(let what):
        return what
    default:
        return "an internal error (the server log has the details)"
    }
}
