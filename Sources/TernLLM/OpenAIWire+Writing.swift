import TernCore

// The chat request is written with a `JSONWriter` rather than `JSONEncoder`: one pass, no
// boxing per value. The `Encodable` conformances in OpenAIWire+Request.swift stay the
// reference; a test checks that both give the same JSON.

extension WireChatRequest {
    /// The request body as JSON bytes, members in the order of the `Encodable` conformance.
    var jsonBytes: [UInt8] {
        var writer = JSONWriter(capacity: 1024 + messages.reduce(0) { $0 + ($1.message.content?.utf8.count ?? 0) })
        writer.beginObject()
        writer.key("model")
        writer.string(model)
        writer.key("messages")
        writer.beginArray()
        for message in messages { message.write(to: &writer) }
        writer.endArray()
        if let temperature {
            writer.key("temperature")
            writer.number(temperature)
        }
        if let topP {
            writer.key("top_p")
            writer.number(topP)
        }
        if let maxTokens {
            writer.key("max_tokens")
            writer.integer(maxTokens)
        }
        if let stop {
            writer.key("stop")
            writer.beginArray()
            for text in stop { writer.string(text) }
            writer.endArray()
        }
        if let seed {
            writer.key("seed")
            writer.integer(seed)
        }
        if let responseFormat {
            writer.key("response_format")
            writer.value(responseFormat)
        }
        if let tools {
            writer.key("tools")
            writer.beginArray()
            for tool in tools { tool.write(to: &writer) }
            writer.endArray()
        }
        if let toolChoice {
            writer.key("tool_choice")
            toolChoice.write(to: &writer)
        }
        if let stream {
            writer.key("stream")
            writer.bool(stream)
        }
        if let streamOptions {
            writer.key("stream_options")
            writer.beginObject()
            writer.key("include_usage")
            writer.bool(streamOptions.includeUsage)
            writer.endObject()
        }
        writer.endObject()
        return writer.bytes
    }
}

extension WireToolChoice {
    func write(to writer: inout JSONWriter) {
        switch choice {
        case .none: writer.string("none")
        case .auto: writer.string("auto")
        case .required: writer.string("required")
        case .function(let name):
            writer.beginObject()
            writer.key("function")
            writer.beginObject()
            writer.key("name")
            writer.string(name)
            writer.endObject()
            writer.key("type")
            writer.string("function")
            writer.endObject()
        }
    }
}

extension WireMessage {
    func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("role")
        writer.string(message.role.rawValue)
        writer.key("content")
        writer.string(message.content ?? "")
        if let name = message.name {
            writer.key("name")
            writer.string(name)
        }
        if let toolCalls = message.toolCalls, !toolCalls.isEmpty {
            writer.key("tool_calls")
            writer.beginArray()
            for call in toolCalls { WireToolCall(call).write(to: &writer) }
            writer.endArray()
        }
        if let toolCallID = message.toolCallID {
            writer.key("tool_call_id")
            writer.string(toolCallID)
        }
        writer.endObject()
    }
}

extension WireToolCall {
    func write(to writer: inout JSONWriter) {
        writer.beginObject()
        if let id {
            writer.key("id")
            writer.string(id)
        }
        if let type {
            writer.key("type")
            writer.string(type)
        }
        if let function {
            writer.key("function")
            writer.beginObject()
            if let name = function.name {
                writer.key("name")
                writer.string(name)
            }
            if let arguments = function.arguments {
                writer.key("arguments")
                writer.string(arguments.text)
            }
            writer.endObject()
        }
        writer.endObject()
    }
}

extension WireTool {
    func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("type")
        writer.string(type)
        writer.key("function")
        writer.beginObject()
        writer.key("name")
        writer.string(function.name)
        writer.key("description")
        writer.string(function.description)
        writer.key("parameters")
        writer.value(function.parameters)
        writer.endObject()
        writer.endObject()
    }
}
