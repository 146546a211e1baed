package import TernCore

/// The kind of OpenAI-compatible server behind the client, which decides how a ``ChatRequest``
/// becomes the wire request (`TERN_LLM_PROFILE`).
///
/// Every profile forwards `temperature`, `top_p`, `max_tokens` (understood by every server;
/// `max_completion_tokens` is not sent), `stop`, `seed` and `response_format`, and sends
/// `content: ""` (never `null`) on assistant messages that only call tools — llama-cpp-python
/// answers `null` with a 500, and `""` is accepted everywhere. What differs:
///
/// | profile | tools | `stream_options.include_usage` | token counting when no usage |
/// |---|---|---|---|
/// | `openai`, `vllm` | as given, with `tool_choice` | asked | estimate |
/// | `llama-server` (llama.cpp's C++ server) | as given (needs `--jinja`) | asked | `POST /tokenize` |
/// | `ollama` | as given; its OpenAI API ignores `tool_choice` | asked | estimate |
/// | `llama-cpp` (llama-cpp-python) | only with a named `tool_choice`, see below | not asked (ignored) | `POST /extras/tokenize` |
///
/// **llama-cpp-python and tools.** Its function-calling chat format drops tools sent without
/// `tool_choice`, and with `tool_choice: "auto"` small models answer plain questions with a bare
/// `functions.<name>:`. A *named* `tool_choice` is grammar-forced and reliable. So for this
/// profile: ``ToolChoice/function(_:)`` sends the tools and the named choice; `nil`, `auto` and
/// `none` send **no tools** (a plain answer); `required` with exactly one tool becomes that named
/// choice, with several it sends the tools with `"auto"` (best effort: the server has no
/// `required`). The agent reaches a tool on this server by choosing it first (its router) and
/// asking for it by name.
package enum ModelServerProfile: String, Sendable, CaseIterable {
    /// OpenAI itself or any server without known quirks (the fallback of detection).
    case openai
    /// llama-cpp-python's `llama_cpp.server` (FastAPI/uvicorn; lists models `owned_by: "me"`).
    case llamaCpp = "llama-cpp"
    /// llama.cpp's own `llama-server` (lists models `owned_by: "llamacpp"`).
    case llamaServer = "llama-server"
    /// vLLM's OpenAI server (lists models `owned_by: "vllm"`).
    case vllm
    /// Ollama's OpenAI-compatible API (lists models `owned_by: "library"` or the user's name).
    case ollama

    /// How a profile offers tools.
    package struct ToolOffer: Sendable, Equatable {
        /// The tools to send (empty: the `tools` key is left out).
        package var tools: [ToolDefinition]
        /// The `tool_choice` to send, if any.
        package var choice: ToolChoice?
    }

    /// The tools and `tool_choice` sent for `request` (see the type's documentation).
    package func toolOffer(for request: ChatRequest) -> ToolOffer {
        guard !request.tools.isEmpty else { return ToolOffer(tools: [], choice: nil) }
        guard self == .llamaCpp else { return ToolOffer(tools: request.tools, choice: request.toolChoice) }
        switch request.toolChoice {
        case .some(.function(let name)):
            return ToolOffer(tools: request.tools, choice: .function(name))
        case .some(.required) where request.tools.count == 1:
            return ToolOffer(tools: request.tools, choice: .function(request.tools[0].name))
        case .some(.required):
            return ToolOffer(tools: request.tools, choice: .auto)
        case .none, .some(.auto), .some(.none):
            return ToolOffer(tools: [], choice: nil)
        }
    }

    /// Whether to ask for a final usage chunk in streams (`stream_options.include_usage`).
    package var asksForStreamUsage: Bool { self != .llamaCpp }

    /// The server's tokenizer, used to count tokens when it reported no usage.
    package var tokenizer: Tokenizer? {
        switch self {
        case .llamaCpp: Tokenizer(path: "/extras/tokenize", inputKey: "input")
        case .llamaServer: Tokenizer(path: "/tokenize", inputKey: "content")
        case .openai, .vllm, .ollama: nil
        }
    }

    /// A tokenize endpoint at the server's root (not under `/v1`): `POST path {inputKey: text}`
    /// answers `{"tokens": [...]}`.
    package struct Tokenizer: Sendable, Equatable {
        /// The path below the server's root, e.g. `/extras/tokenize`.
        package var path: String
        /// The JSON key of the text.
        package var inputKey: String
    }

    /// The profile a `GET /models` answer points to: by the models' `owned_by`, then the
    /// `Server` header; `nil` when neither is known (the caller falls back to ``openai``).
    package static func detect(ownedBy: [String], serverHeader: String?) -> ModelServerProfile? {
        for owner in ownedBy.map({ $0.lowercased() }) {
            switch owner {
            case "me": return .llamaCpp
            case "llamacpp": return .llamaServer
            case "vllm": return .vllm
            case "library", "ollama": return .ollama
            case "openai", "system", "openai-internal": return .openai
            default: continue
            }
        }
        if serverHeader?.lowercased().contains("llama.cpp") == true { return .llamaServer }
        if serverHeader?.lowercased().contains("ollama") == true { return .ollama }
        return nil
    }
}
