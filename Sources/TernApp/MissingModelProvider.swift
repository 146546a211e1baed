import TernCore

/// The model port when no model server is configured: every call fails with a message that
/// says which setting is missing, so the server still starts and answers 503 for chat.
struct MissingModelProvider: ModelProvider {
    private var error: ModelError {
        .notConfigured(hint: "set TERN_LLM_BASE_URL (and TERN_LLM_MODEL) to an OpenAI-compatible server")
    }

    func complete(_ request: ChatRequest) async throws -> ChatCompletion { throw error }

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        AsyncThrowingStream { $0.finish(throwing: error) }
    }

    func models() async throws -> [ModelInfo] { throw error }

    func embed(_ inputs: [String], model: String?) async throws -> [[Float]] { throw error }
}
