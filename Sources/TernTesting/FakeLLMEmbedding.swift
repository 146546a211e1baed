import Foundation

/// Deterministic embeddings: each word hashed (FNV-1a) to a dimension and a sign, summed, normalised.
enum FakeLLMEmbedding {
    static func vector(for text: String, dimensions: Int) -> [Float] {
        var vector = [Float](repeating: 0, count: dimensions)
        for word in text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
            let hash = fnv1a(word)
            let dimension = Int(hash % UInt64(dimensions))
            vector[dimension] += (hash >> 32) & 1 == 0 ? 1 : -1
        }
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else {
            vector[0] = 1  // empty text: a fixed unit vector
            return vector
        }
        return vector.map { $0 / norm }
    }

    /// Little-endian float32 bytes, base64-encoded (OpenAI's `encoding_format: base64`).
    static func base64(_ vector: [Float]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            let bits = value.bitPattern
            bytes += [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24)]
        }
        return Data(bytes).base64EncodedString()
    }

    private static func fnv1a(_ text: Substring) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}

/// Word counting and text extraction shared by the fake's usage numbers and echo.
enum FakeLLMText {
    static func words(in text: String) -> [Substring] {
        text.split(whereSeparator: { $0.isWhitespace || $0.isNewline })
    }

    static func wordCount(_ text: String) -> Int { words(in: text).count }
}
