import Foundation

extension TernConfig {
    /// The OpenAI-compatible server memory asks for embeddings (`TERN_EMBEDDING_*`).
    package struct Embedding: Sendable, Equatable {
        /// The API root including `/v1`.
        package var baseURL: String
        /// Sent as a bearer token; never logged.
        package var apiKey: String?
        /// The embedding model's name.
        package var model: String

        package init(baseURL: String, apiKey: String?, model: String) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.model = model
        }
    }
}

extension ValueReader {
    /// `TERN_EMBEDDING_MODEL` turns embeddings on; the server defaults to the model server (and
    /// its key). A base URL without a model, or a model with no server at all, is a problem.
    mutating func embedding(llm: TernConfig.LLM?) -> TernConfig.Embedding? {
        let model = string(.embeddingModel)
        var baseURL = string(.embeddingBaseURL)
        let apiKey = string(.embeddingAPIKey)
        guard !model.isEmpty else {
            if !baseURL.isEmpty {
                problems.append(
                    "\(subject(.embeddingBaseURL)) is set but \(subject(.embeddingModel)) is empty: name the embedding model")
            }
            return nil
        }
        if baseURL.isEmpty {
            guard let llm else {
                problems.append(
                    "\(subject(.embeddingModel)) needs an embedding server: set TERN_EMBEDDING_BASE_URL or TERN_LLM_BASE_URL")
                return nil
            }
            return TernConfig.Embedding(baseURL: llm.baseURL, apiKey: apiKey.isEmpty ? llm.apiKey : apiKey, model: model)
        }
        guard let url = URL(string: baseURL), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            url.host?.isEmpty == false
        else {
            problems.append(
                "\(subject(.embeddingBaseURL)) must be an http(s) URL such as http://127.0.0.1:8000/v1, got '\(baseURL)'")
            return nil
        }
        while baseURL.hasSuffix("/") { baseURL.removeLast() }
        return TernConfig.Embedding(baseURL: baseURL, apiKey: apiKey.isEmpty ? nil : apiKey, model: model)
    }
}
