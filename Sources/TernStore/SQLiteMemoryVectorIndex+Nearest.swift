import CTernStore
import TernCore

extension SQLiteMemoryVectorIndex.Snapshot {
    /// The rows (indices into `seqs`) of the `count` codes nearest (Hamming distance) to
    /// `query`'s code; all of them when there are no more than `count`.
    func nearestRows(to query: [Float], count: Int) -> [Int] {
        guard seqs.count > count else { return Array(seqs.indices) }
        var queryCode: [UInt64] = []
        query.withUnsafeBytes { MemoryVectorMath.signCode($0, dimension: query.count, into: &queryCode) }
        let maximum = words * 64
        var distances = [UInt16](repeating: 0, count: seqs.count)
        var histogram = [Int](repeating: 0, count: maximum + 1)
        let words = self.words
        codes.withUnsafeBufferPointer { codes in
            queryCode.withUnsafeBufferPointer { queryCode in
                distances.withUnsafeMutableBufferPointer { distances in
                    histogram.withUnsafeMutableBufferPointer { histogram in
                        guard let code = codes.baseAddress, let target = queryCode.baseAddress,
                            let distance = distances.baseAddress, let counts = histogram.baseAddress,
                            codes.count >= distances.count * words
                        else { return }
                        // In C, for the CPU's POPCNT (docs/benchmarks.md, "vector kernels").
                        tern_hamming_distances(code, distances.count, words, target, distance, counts)
                    }
                }
            }
        }
        // The smallest distance that, with all nearer ones, reaches `count` codes.
        var threshold = 0
        var taken = 0
        while threshold <= maximum, taken + histogram[threshold] < count {
            taken += histogram[threshold]
            threshold += 1
        }
        var nearer: [Int] = []
        var atThreshold: [Int] = []
        nearer.reserveCapacity(count)
        for row in 0..<seqs.count {
            if distances[row] < threshold {
                nearer.append(row)
            } else if distances[row] == threshold, atThreshold.count < count - taken {
                atThreshold.append(row)
            }
        }
        return nearer + atThreshold
    }
}
