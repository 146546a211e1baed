import Foundation

/// Why the agent ended a turn with an error of its own (not the model's or the store's).
package enum AgentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A plan step kept failing: retried once, then re-planned `replans` times.
    case planFailed(step: String, message: String, replans: Int)
    /// A chat command (`/approve`, `/deny`, `/<skill>`) is malformed.
    case badCommand(String)
    /// The client's tools cannot be offered as sent (a name clash renaming cannot settle).
    case clientTools(String)
    /// The caller's role in the context does not allow this (``MemberRole/allows(_:)``), or they
    /// are not a member.
    case forbidden(String)

    package var description: String {
        switch self {
        case .planFailed(let step, let message, let replans):
            "the plan failed at step \"\(step)\" after a retry and \(replans) re-plan\(replans == 1 ? "" : "s"): \(message)"
        case .badCommand(let message), .clientTools(let message), .forbidden(let message):
            message
        }
    }
}
