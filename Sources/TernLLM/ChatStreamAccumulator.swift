import TernCore

/// Merges the `chat.completion.chunk` frames of one stream into a ``ChatCompletion``.
///
/// Tolerates what real servers do: `content` as `""`, `null` or missing; usage in the last chunk
/// (possibly with empty `choices`) or not at all; tool-call deltas that repeat the call's `id` and
/// `name` in every chunk (merged by `index`, never concatenated) while `arguments` arrive in pieces.
struct ChatStreamAccumulator {
    private struct PartialToolCall {
        var index: Int?
        var id = ""
        var name = ""
        var arguments = ""
    }

    /// The content so far.
    private(set) var content = ""
    /// The finish reason, once a chunk carried one.
    private(set) var finishReason: String?
    /// The last usage a chunk reported.
    private(set) var usage: TokenUsage?
    /// The first model name a chunk reported.
    private(set) var model: String?
    private var toolCalls: [PartialToolCall] = []

    /// Applies one chunk and returns its content delta when it has a non-empty one.
    mutating func apply(_ chunk: WireChunk) -> String? {
        if model == nil { model = chunk.model }
        if let wireUsage = chunk.usage { usage = wireUsage.tokenUsage }
        let choices = chunk.choices ?? []
        guard let choice = choices.first(where: { ($0.index ?? 0) == 0 }) else { return nil }
        if let reason = choice.finishReason, !reason.isEmpty { finishReason = reason }
        for delta in choice.delta?.toolCalls ?? [] { merge(delta) }
        guard let piece = choice.delta?.content, !piece.isEmpty else { return nil }
        content += piece
        return piece
    }

    private mutating func merge(_ delta: WireChunk.ToolCallDelta) {
        let id = delta.id ?? ""
        let slot: Int
        if let index = delta.index {
            slot = toolCalls.firstIndex { $0.index == index } ?? appendCall(index: index)
        } else if !id.isEmpty {
            // No index (some servers): a new id starts a new call, a known id continues its call.
            slot = toolCalls.firstIndex { $0.id == id } ?? appendCall(index: nil)
        } else {
            slot = toolCalls.indices.last ?? appendCall(index: nil)
        }
        if toolCalls[slot].id.isEmpty { toolCalls[slot].id = id }
        if toolCalls[slot].name.isEmpty, let name = delta.function?.name { toolCalls[slot].name = name }
        toolCalls[slot].arguments += delta.function?.arguments?.text ?? ""
    }

    private mutating func appendCall(index: Int?) -> Int {
        toolCalls.append(PartialToolCall(index: index))
        return toolCalls.count - 1
    }

    /// The merged completion; calls without an id get `call_<index>`.
    var completion: ChatCompletion {
        let calls = toolCalls.enumerated().map { position, call in
            ToolCall(
                id: call.id.isEmpty ? "call_\(call.index ?? position)" : call.id, name: call.name,
                arguments: call.arguments)
        }
        return ChatCompletion(
            content: content, toolCalls: calls, finishReason: finishReason, usage: usage, model: model)
    }
}
