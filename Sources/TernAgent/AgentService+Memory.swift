import Foundation
import TernCore
import TernMemory

extension AgentService {
    /// The memories for the turn's message as a system message; an explicit "remember that …"
    /// is handed to the memory writer (in the background, never failing the turn).
    func recallMemory(for turn: AgentTurn) async -> ChatMessage? {
        guard let memory, !turn.input.isEmpty else { return nil }
        memory.rememberExplicit(exchange(turn, answer: ""))
        return await memory.prompt(for: turn.input, in: turn.context)
    }

    /// After the answer is stored: the turn's summary, when the context wants one (off the path).
    func memoryAfterTurn(_ turn: AgentTurn, answer: String) {
        guard let memory, !turn.input.isEmpty else { return }
        memory.turnEnded(exchange(turn, answer: answer))
    }

    private func exchange(_ turn: AgentTurn, answer: String) -> TurnMemory.Exchange {
        TurnMemory.Exchange(
            context: turn.context, user: turn.user, conversation: turn.conversation, input: turn.input, answer: answer)
    }
}
