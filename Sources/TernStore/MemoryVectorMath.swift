import Foundation

/// Float32 vector arithmetic for the SQLite memory store: blob encoding, cosine similarity with
/// SIMD, and sign-bit codes for the coarse pre-filter.
///
/// Blobs are float32 little-endian, `4 × dimension` bytes (every platform Swift runs Tern on is
/// little-endian; ``decode(_:)`` checks the length).
enum MemoryVectorMath {
    /// The blob stored for `vector`.
    static func encode(_ vector: [Float]) -> Data {
        var data = Data(count: vector.count * MemoryLayout<Float>.size)
        data.withUnsafeMutableBytes { raw in
            for (index, value) in vector.enumerated() {
                raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: index * 4, as: UInt32.self)
            }
        }
        return data
    }

    /// The vector in a blob, or `nil` when its length is not a whole number of floats.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> [Float]? {
        guard bytes.count % 4 == 0 else { return nil }
        return (0..<bytes.count / 4).map {
            Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)))
        }
    }

    /// Appends the `dimension` floats of a stored blob to `values` scaled to length 1, so that
    /// their dot product with a unit query (`tern_dot_prefetching`, CTernStore) is their cosine (blobs are little-endian, as is every
    /// platform Tern runs on; a zero vector stays zero).
    static func appendNormalized(_ bytes: UnsafeRawBufferPointer, dimension: Int, to values: inout [Float]) {
        guard dimension > 0, bytes.count >= dimension * 4, let source = bytes.baseAddress else { return }
        let start = values.count
        values.append(contentsOf: repeatElement(0, count: dimension))
        values.withUnsafeMutableBufferPointer { target in
            guard let base = target.baseAddress else { return }
            let row = base + start
            UnsafeMutableRawPointer(row).copyMemory(from: source, byteCount: dimension * 4)
            var norm: Float = 0
            for index in 0..<dimension { norm += row[index] * row[index] }
            guard norm > 0 else { return }
            let scale = 1 / norm.squareRoot()
            for index in 0..<dimension { row[index] *= scale }
        }
    }

    /// `vector` scaled to length 1 (the query side of every comparison).
    static func normalized(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }

    /// Cosine similarity of a unit-length `query` and the stored vector in `bytes` (same
    /// dimension), 16 lanes at a time; 0 for a zero vector. Raw pointers and plain `*`/`+` keep
    /// the loop vectorised (`addProduct` and bounds-checked loads were 30 times slower).
    static func cosine(unitQuery query: UnsafeBufferPointer<Float>, stored bytes: UnsafeRawBufferPointer) -> Float {
        let count = query.count
        guard count > 0, bytes.count >= count * 4, let q = query.baseAddress, let v = bytes.baseAddress else { return 0 }
        var dot = SIMD16<Float>(repeating: 0)
        var norm = SIMD16<Float>(repeating: 0)
        var index = 0
        while index + 16 <= count {
            let a = UnsafeRawPointer(q + index).loadUnaligned(as: SIMD16<Float>.self)
            let b = (v + index * 4).loadUnaligned(as: SIMD16<Float>.self)
            dot = dot + a * b
            norm = norm + b * b
            index += 16
        }
        var dotSum = dot.sum()
        var normSum = norm.sum()
        while index < count {
            let b = (v + index * 4).loadUnaligned(as: Float.self)
            dotSum += q[index] * b
            normSum += b * b
            index += 1
        }
        return normSum > 0 ? dotSum / normSum.squareRoot() : 0
    }

    /// One bit per component (set when positive), 64 to a word: the code the pre-filter compares.
    static func signCode(_ vector: UnsafeRawBufferPointer, dimension: Int, into words: inout [UInt64]) {
        guard let base = vector.baseAddress, vector.count >= dimension * 4 else { return }
        var word: UInt64 = 0
        for index in 0..<dimension {
            if (base + index * 4).loadUnaligned(as: Float.self) > 0 { word |= 1 << UInt64(index % 64) }
            if index % 64 == 63 || index == dimension - 1 {
                words.append(word)
                word = 0
            }
        }
    }

    /// Words per code for `dimension`.
    static func codeWords(_ dimension: Int) -> Int { (dimension + 63) / 64 }

    /// Problems with an embedding a caller gave: empty, not finite, all zeros.
    static func problem(with vector: [Float]) -> String? {
        if vector.isEmpty { return "embedding is empty" }
        if let index = vector.firstIndex(where: { !$0.isFinite }) {
            return "embedding component \(index) is not a finite number"
        }
        if vector.allSatisfy({ $0 == 0 }) { return "embedding is all zeros (it has no direction to compare)" }
        return nil
    }
}
