import TernCore

// Answers and stream chunks are written with a `JSONWriter` (one pass, keys pre-sorted by hand)
// instead of a `JSONEncoder` per chunk. The output is byte for byte what `JSONEncoder.tern`
// writes for the same values; a test holds the two together.

extension OpenAIWire.Chunk {
    /// The chunk as JSON, keys sorted.
    func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("choices")
        writer.beginArray()
        for choice in choices {
            writer.beginObject()
            writer.key("delta")
            choice.delta.write(to: &writer)
            writer.key("finish_reason")
            if let reason = choice.finishReason { writer.string(reason) } else { writer.null() }
            writer.key("index")
            writer.integer(choice.index)
            writer.endObject()
        }
        writer.endArray()
        OpenAIWire.writeHeader(to: &writer, created: created, id: id, model: model, object: object, usage: usage)
        writer.endObject()
    }
}

extension OpenAIWire.Chunk.Choice.Delta {
    func write(to writer: inout JSONWriter) {
        writer.beginObject()
        if let content {
            writer.key("content")
            writer.string(content)
        }
        if let role {
            writer.key("role")
            writer.string(role)
        }
        if let toolCalls {
            writer.key("tool_calls")
            OpenAIWire.write(toolCalls, to: &writer)
        }
        writer.endObject()
    }
}

extension OpenAIWire.Completion {
    /// The answer as JSON, keys sorted.
    var jsonBytes: [UInt8] {
        var writer = JSONWriter(capacity: 256 + choices.reduce(0) { $0 + ($1.message.content?.utf8.count ?? 0) })
        writer.beginObject()
        writer.key("choices")
        writer.beginArray()
        for choice in choices {
            writer.beginObject()
            writer.key("finish_reason")
            writer.string(choice.finishReason)
            writer.key("index")
            writer.integer(choice.index)
            writer.key("message")
            writer.beginObject()
            writer.key("content")
            if let content = choice.message.content { writer.string(content) } else { writer.null() }
            writer.key("role")
            writer.string(choice.message.role)
            if let toolCalls = choice.message.toolCalls {
                writer.key("tool_calls")
                OpenAIWire.write(toolCalls, to: &writer)
            }
            writer.endObject()
            writer.endObject()
        }
        writer.endArray()
        OpenAIWire.writeHeader(to: &writer, created: created, id: id, model: model, object: object, usage: usage)
        writer.endObject()
        return writer.bytes
    }
}

extension OpenAIWire {
    /// The members after `choices`, which answers and chunks share, in sorted order.
    static func writeHeader(
        to writer: inout JSONWriter, created: Int, id: String, model: String, object: String, usage: Usage?
    ) {
        writer.key("created")
        writer.integer(created)
        writer.key("id")
        writer.string(id)
        writer.key("model")
        writer.string(model)
        writer.key("object")
        writer.string(object)
        if let usage {
            writer.key("usage")
            writer.beginObject()
            writer.key("completion_tokens")
            writer.integer(usage.completionTokens)
            writer.key("prompt_tokens")
            writer.integer(usage.promptTokens)
            writer.key("total_tokens")
            writer.integer(usage.totalTokens)
            writer.endObject()
        }
    }

    static func write(_ calls: [ToolCallWire], to writer: inout JSONWriter) {
        writer.beginArray()
        for call in calls {
            writer.beginObject()
            writer.key("function")
            writer.beginObject()
            writer.key("arguments")
            writer.string(call.function.arguments)
            writer.key("name")
            writer.string(call.function.name)
            writer.endObject()
            writer.key("id")
            writer.string(call.id)
            if let index = call.index {
                writer.key("index")
                writer.integer(index)
            }
            writer.key("type")
            writer.string(call.type)
            writer.endObject()
        }
        writer.endArray()
    }
}
