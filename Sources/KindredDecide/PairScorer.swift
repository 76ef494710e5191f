/// Exact pair scores for placing leftovers, in the exact order the callers'
/// sums need.
///
/// With feature rows, one person is loaded into a dense scratch and every
/// score against them is a gather over the other person's row:
/// O(nnz) with no branches, and the same bits as the `score` closure when that
/// closure is the sorted-row dot product (`FeatureSpace.exactScore`; see
/// ``DenseScratch``). Without rows, the closure is called.
struct PairScorer {
    let score: (Int, Int) -> Double
    let rows: FeatureRows?
    private let scratch: DenseScratch?

    init(score: @escaping (Int, Int) -> Double, rows: FeatureRows?) {
        self.score = score
        self.rows = rows
        scratch = rows.map { DenseScratch(dimension: $0.dimension) }
    }

    /// `Σ score(x, m)` over `members`, added in member order.
    ///
    /// - Complexity: O(members · nnz).
    func total(_ x: Int, _ members: [Int]) -> Double {
        guard let rows, let scratch else { return members.reduce(0.0) { $0 + score(x, $1) } }
        scratch.load(x, rows)
        var t = 0.0
        for m in members { t += scratch.dot(m, rows) }
        scratch.unload(x, rows)
        return t
    }

    /// Mean pairwise score of `members`, summed in the order of
    /// `GroupDescription.meanPairScore` (pairs (a, b), a < b, row by row).
    ///
    /// - Complexity: O(members² · nnz).
    func meanPair(_ members: [Int]) -> Double {
        guard let rows, let scratch else { return GroupDescription.meanPairScore(members, score: score) }
        guard members.count > 1 else { return 0 }
        var total = 0.0
        for a in members.indices {
            scratch.load(members[a], rows)
            for b in members.indices where b > a { total += scratch.dot(members[b], rows) }
            scratch.unload(members[a], rows)
        }
        return total / Double(members.count * (members.count - 1) / 2)
    }
}
