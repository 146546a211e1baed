/// Reciprocal rank fusion of a keyword list and a vector list (Cormack et al., k = 60): each
/// memory scores `Σ 1/(60 + rank)` over the lists it is in, so agreement between the lists
/// outranks a high place in one. Pure, so both SQL backends fuse alike.
package enum MemoryFusion {
    /// One fused candidate, before its row is read.
    package struct Candidate: Sendable, Equatable {
        package var id: MemoryID
        package var score: Double
        package var keywordRank: Int?
        package var vectorRank: Int?
        package var similarity: Double?
    }

    /// The best `k` of the union of `keyword` (best first) and `vector` (best first, with each
    /// one's cosine similarity), best first; ties go to the better single rank, then to the ID.
    package static func fuse(keyword: [MemoryID], vector: [(id: MemoryID, similarity: Double)], k: Int)
        -> [Candidate]
    {
        var byID: [MemoryID: Candidate] = [:]
        for (index, id) in keyword.enumerated() where byID[id] == nil {
            byID[id] = Candidate(
                id: id, score: 1 / (MemoryHit.fusionK + Double(index + 1)), keywordRank: index + 1, vectorRank: nil,
                similarity: nil)
        }
        for (index, hit) in vector.enumerated() {
            let score = 1 / (MemoryHit.fusionK + Double(index + 1))
            if var candidate = byID[hit.id] {
                guard candidate.vectorRank == nil else { continue }
                candidate.score += score
                candidate.vectorRank = index + 1
                candidate.similarity = hit.similarity
                byID[hit.id] = candidate
            } else {
                byID[hit.id] = Candidate(
                    id: hit.id, score: score, keywordRank: nil, vectorRank: index + 1, similarity: hit.similarity)
            }
        }
        return byID.values.sorted { a, b in
            if a.score != b.score { return a.score > b.score }
            let bestA = min(a.keywordRank ?? .max, a.vectorRank ?? .max)
            let bestB = min(b.keywordRank ?? .max, b.vectorRank ?? .max)
            if bestA != bestB { return bestA < bestB }
            return a.id.rawValue < b.id.rawValue
        }
        .prefix(max(0, k)).map { $0 }
    }
}
