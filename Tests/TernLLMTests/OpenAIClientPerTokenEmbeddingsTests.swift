import Foundation
import TernCore
import TernTesting
import Testing

@testable import TernLLM

/// llama-cpp-python's server embeds with a chat model (pooling `none`) as one vector per token;
/// the client mean-pools them, as the same server does with mean pooling.
@Suite(.timeLimit(.minutes(1))) struct OpenAIClientPerTokenEmbeddingsTests {
    @Test func realPerTokenAnswer_isMeanPooled_likeTheServersOwnMeanPooling() throws {
        let perToken = try decodeVectors(LlamaCppEmbeddingFixture.perToken)
        let pooledByServer = try decodeVectors(LlamaCppEmbeddingFixture.meanPooled)
        #expect(perToken.count == 1)
        #expect(pooledByServer.count == 1)
        let ours = try perToken[0].floats()
        let theirs = try pooledByServer[0].floats()
        #expect(ours.count == 576)
        #expect(theirs.count == 576)
        let largestDifference = zip(ours, theirs).map { abs($0 - $1) }.max() ?? .infinity
        #expect(largestDifference < 1e-5)
    }

    @Test func embed_meanPoolsPerTokenVectors_fromAServerWithoutPooling() async throws {
        var quirks = FakeLLMQuirks.llamaCppPython
        quirks.embedsPerToken = true
        try await withFakeLLM(quirks: quirks) { fake in
            let inputs = ["swift server on linux", "bread"]
            let vectors = try await withClient(fake) { try await $0.embed(inputs, model: "smollm2") }
            let expected = inputs.map { text in
                let words = text.split(separator: " ").map { FakeLLMServer.embedding(for: String($0)) }
                return (0..<FakeLLMServer.embeddingDimensions).map { dimension in
                    Float(words.map { Double($0[dimension]) }.reduce(0, +) / Double(words.count))
                }
            }
            #expect(vectors.count == 2)
            for (vector, wanted) in zip(vectors, expected) {
                #expect(vector.count == FakeLLMServer.embeddingDimensions)
                #expect(zip(vector, wanted).allSatisfy { abs($0 - $1) < 1e-6 })
            }
        }
    }

    @Test func perTokenVectors_ofDifferentLengthsOrNone_areRefusedWithAReason() throws {
        let ragged = try decodeVectors(
            #"{"data":[{"index":0,"embedding":[[0.5,1.5],[2.5]]}]}"#)
        let raggedError = #expect(throws: WireEmbeddingVector.Unusable.self) { try ragged[0].floats() }
        #expect(raggedError?.reason == "has token vectors of 2 and 1 dimensions")
        let empty = try decodeVectors(#"{"data":[{"index":0,"embedding":[[]]}]}"#)
        let emptyError = #expect(throws: WireEmbeddingVector.Unusable.self) { try empty[0].floats() }
        #expect(emptyError?.reason == "has no token vectors")
    }

    private func decodeVectors(_ json: String) throws -> [WireEmbeddingVector] {
        try JSONDecoder().decode(WireEmbeddingResponse.self, from: Data(json.utf8)).data.map(\.embedding)
    }
}
