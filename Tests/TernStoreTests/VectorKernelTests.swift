import CTernStore
import Foundation
import TernTesting
import Testing

/// The C kernels of the SQLite memory index (CTernStore) against plain Swift: the same
/// distances and histogram, the same dot products within float rounding, on whichever path the
/// CPU takes, and that path is the one the CPU's flags allow.
struct VectorKernelTests {
    @Test(arguments: [0, 1, 6, 7])
    func hammingDistances_matchCountingBitsInSwift(words: Int) {
        var generator = SplitMix64(seed: UInt64(words) &+ 11)
        let rows = 1_000
        let codes = (0..<(rows * words)).map { _ in UInt64.random(in: .min ... .max, using: &generator) }
        let query = (0..<words).map { _ in UInt64.random(in: .min ... .max, using: &generator) }
        var distances = [UInt16](repeating: 0, count: rows)
        var histogram = [Int](repeating: 0, count: words * 64 + 1)
        tern_hamming_distances(codes, rows, words, query, &distances, &histogram)

        var expected = [UInt16](repeating: 0, count: rows)
        var expectedHistogram = [Int](repeating: 0, count: words * 64 + 1)
        for row in 0..<rows {
            let distance = (0..<words).reduce(0) { $0 + (codes[row * words + $1] ^ query[$1]).nonzeroBitCount }
            expected[row] = UInt16(distance)
            expectedHistogram[distance] += 1
        }
        #expect(distances == expected)
        #expect(histogram == expectedHistogram)
    }

    @Test(arguments: [0, 1, 15, 16, 17, 384, 1536])
    func dotProducts_matchADoubleSum(dimension: Int) {
        var generator = SplitMix64(seed: UInt64(dimension) &+ 3)
        let a = (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
        let b = (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
        let next = (0..<dimension).map { _ in Float.random(in: -1...1, using: &generator) }
        let expected = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let withNext = next.withUnsafeBufferPointer { tern_dot_prefetching(a, b, dimension, $0.baseAddress) }
        let alone = tern_dot_prefetching(a, b, dimension, nil)
        #expect(abs(Double(withNext) - expected) <= 1e-4 * max(1, Double(dimension).squareRoot()))
        #expect(withNext == alone, "prefetching the next vector must not change this one's score")
    }

    @Test func theKernelsChosen_areThoseTheCPUHas() throws {
        #if arch(x86_64)
            let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
            let flagsLine = try #require(info.split(separator: "\n").first { $0.hasPrefix("flags") })
            let flags = Set(flagsLine.split(separator: ":")[1].split(separator: " ").map(String.init))
            let kernels = tern_vector_kernels()
            #expect((kernels & 1 != 0) == flags.contains("popcnt"))
            #expect((kernels & 2 != 0) == (flags.contains("avx2") && flags.contains("fma")))
        #else
            #expect(tern_vector_kernels() == 0)
        #endif
    }
}
