import Foundation
import TernCore
import TernTesting
import Testing

@testable import TernLLM

@Suite(.timeLimit(.minutes(1))) struct OpenAIClientModelsEmbeddingsTests {
    @Test func models_listsTheServersModels() async throws {
        try await withFakeLLM { fake in
            let models = try await withClient(fake) { try await $0.models() }
            #expect(models == [ModelInfo(id: "fake-model", ownedBy: "tern-fake-llm")])
            #expect(fake.recordedRequests().first?.method == "GET")
            #expect(fake.recordedRequests().first?.path == "/v1/models")
        }
    }

    @Test(arguments: [OpenAIClientConfiguration.EmbeddingEncoding.float, .base64])
    func embed_decodesVectorsInInputOrder(encoding: OpenAIClientConfiguration.EmbeddingEncoding) async throws {
        try await withFakeLLM { fake in
            let inputs = ["the quick brown fox", "lazy dogs sleep", ""]
            let vectors = try await withClient(fake, configure: { $0.embeddingEncoding = encoding }) {
                try await $0.embed(inputs, model: "embedder")
            }
            #expect(vectors == inputs.map(FakeLLMServer.embedding(for:)))
            #expect(vectors.allSatisfy { $0.count == FakeLLMServer.embeddingDimensions })
            let json = try #require(fake.recordedRequests().first?.json)
            #expect(json["encoding_format"] == .string(encoding.rawValue))
            #expect(json["model"] == .string("embedder"))
            #expect(json["input"] == .array(inputs.map(JSONValue.string)))
        }
    }

    @Test func embed_usesTheConfiguredModel_andSkipsEmptyInput() async throws {
        try await withFakeLLM { fake in
            try await withClient(fake, configure: { $0.embeddingModel = "nomic-embed" }) { client in
                #expect(try await client.embed([], model: nil) == [])
                #expect(fake.recordedRequests().isEmpty)
                _ = try await client.embed(["hello"], model: nil)
            }
            #expect(fake.recordedRequests().first?.json?["model"] == .string("nomic-embed"))
        }
    }

    @Test func fakeEmbeddings_areCloserForTextsSharingWords() {
        func cosine(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map(*).reduce(0, +) }
        let base = FakeLLMServer.embedding(for: "swift server on linux")
        let near = FakeLLMServer.embedding(for: "swift server")
        let far = FakeLLMServer.embedding(for: "banana bread recipe")
        #expect(cosine(base, near) > cosine(base, far))
    }
}
