import Foundation
import TernCore

/// The documented quirks of real model servers that ``FakeLLMServer`` can reproduce, chosen
/// per server at start (`FakeLLMServer.start(quirks:)`, `tern-fake-llm --quirks NAME` or
/// `FAKE_LLM_QUIRKS=NAME`). ``none`` (the default) behaves like OpenAI.
package struct FakeLLMQuirks: Sendable, Equatable {
    /// The `owned_by` of the listed model.
    package var ownedBy = "tern-fake-llm"
    /// The `Server` response header.
    package var serverHeader = "tern-fake-llm"
    /// A new request (any endpoint) ends every running stream with `data: [DONE]` and no
    /// `finish_reason`, like llama-cpp-python (`interrupt_requests`, on by default).
    package var interruptsStreamsOnNewRequest = false
    /// Tools sent without `tool_choice` are dropped (scripted tool calls become the reply's
    /// content, or the echo), and with `tool_choice: "auto"` the model answers
    /// `functions.<name>:`; only a named `tool_choice` gets the scripted calls.
    package var toolsNeedNamedChoice = false
    /// An assistant message with `content: null` is answered with a 500 whose body is a
    /// pydantic-like dump naming a file path of the server's machine.
    package var rejectsNullContent = false
    /// Whether streams end with a usage chunk (when the reply has usage); llama-cpp-python
    /// ignores `stream_options` and never sends one.
    package var streamsUsage = true
    /// A tokenize endpoint at the root: `POST path {inputKey: text}` → `{"tokens": [...]}`, one
    /// token per word.
    package var tokenizer: (path: String, inputKey: String)?
    /// `POST /v1/embeddings` answers one vector per word instead of one per input, as
    /// llama-cpp-python does for a model whose pooling is `none` (a chat model such as SmolLM2):
    /// `"embedding": [[…], […]]`, each row ``FakeLLMServer/embedding(for:)`` of one word.
    package var embedsPerToken = false
    /// `GET /docs` answers a page, as FastAPI servers (llama-cpp-python) do, taking no model lock;
    /// otherwise it is a 404, as on other servers.
    package var servesDocsPage = false

    /// Behaves like OpenAI.
    package init() {}

    /// OpenAI-like behaviour (the default).
    package static let none = FakeLLMQuirks()

    /// llama-cpp-python's `llama_cpp.server` (uvicorn, `owned_by: "me"`, `/extras/tokenize`).
    package static var llamaCppPython: FakeLLMQuirks {
        var quirks = FakeLLMQuirks()
        quirks.ownedBy = "me"
        quirks.serverHeader = "uvicorn"
        quirks.interruptsStreamsOnNewRequest = true
        quirks.toolsNeedNamedChoice = true
        quirks.rejectsNullContent = true
        quirks.streamsUsage = false
        quirks.tokenizer = ("/extras/tokenize", "input")
        quirks.servesDocsPage = true
        return quirks
    }

    /// llama.cpp's `llama-server` (`owned_by: "llamacpp"`, `/tokenize`).
    package static var llamaServer: FakeLLMQuirks {
        var quirks = FakeLLMQuirks()
        quirks.ownedBy = "llamacpp"
        quirks.serverHeader = "llama.cpp"
        quirks.tokenizer = ("/tokenize", "content")
        return quirks
    }

    /// The quirks by name: `none`, `llama-cpp-python`, `llama-server`; `nil` for other names.
    package init?(name: String) {
        switch name.lowercased() {
        case "", "none", "openai": self = .none
        case "llama-cpp-python", "llama-cpp": self = .llamaCppPython
        case "llama-server": self = .llamaServer
        default: return nil
        }
    }

    package static func == (lhs: FakeLLMQuirks, rhs: FakeLLMQuirks) -> Bool {
        lhs.ownedBy == rhs.ownedBy && lhs.serverHeader == rhs.serverHeader
            && lhs.interruptsStreamsOnNewRequest == rhs.interruptsStreamsOnNewRequest
            && lhs.toolsNeedNamedChoice == rhs.toolsNeedNamedChoice && lhs.rejectsNullContent == rhs.rejectsNullContent
            && lhs.streamsUsage == rhs.streamsUsage && lhs.tokenizer?.path == rhs.tokenizer?.path
            && lhs.tokenizer?.inputKey == rhs.tokenizer?.inputKey && lhs.embedsPerToken == rhs.embedsPerToken
            && lhs.servesDocsPage == rhs.servesDocsPage
    }

    /// The 500 llama-cpp-python answers for `content: null` on an assistant message.
    static let nullContentErrorMessage = """
        1 validation error for ChatCompletionRequestAssistantMessage
        content
          Input should be a valid string [type=string_type, input_value=None, input_type=NoneType]
        File "/home/llama/.venv/lib/python3.11/site-packages/llama_cpp/llama_chat_format.py", line 2712
        """

    /// Whether `messages` holds an assistant message whose `content` is JSON `null`.
    static func hasNullAssistantContent(_ messages: [JSONValue]) -> Bool {
        messages.contains { $0["role"]?.stringValue == "assistant" && $0["content"] == .null }
    }

    /// `reply` as a server with ``toolsNeedNamedChoice`` answers a request with `toolChoice`.
    static func applyingToolChoice(_ toolChoice: JSONValue?, to reply: FakeLLMReply, messages: [JSONValue])
        -> FakeLLMReply
    {
        guard case .answer(let pieces, let calls) = reply.kind, let first = calls.first else { return reply }
        var copy = reply
        switch toolChoice {
        case .object:
            return reply  // named: grammar-forced, the scripted calls
        case .string("auto"):
            copy.kind = .answer(pieces: ["functions.\(first.name):"], toolCalls: [])
        default:
            let fallback = pieces.isEmpty ? FakeLLMRoutes.echo(messages) : FakeLLMReply.content(pieces)
            copy.kind = fallback.kind
        }
        copy.finishReason = nil
        return copy
    }
}
