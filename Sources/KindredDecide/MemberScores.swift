/// Scores of people against the members of one growing group, for
/// ``GroupFormation``'s growth step.
///
/// With feature rows, member j's row sits in lane j of a ``DenseScratch`` with
/// `groupMax` interleaved lanes (`slots[c · lanes + j]`), so one pass over a
/// candidate's row gives their score to every member, and the members' values
/// of one column share a cache line. Each lane adds exactly what a gather
/// against that member alone adds, in the same order (see ``DenseScratch`` for
/// why that is the merge's result, bit for bit). Without rows, or when the lanes
/// would take more than `budget` doubles, the `score` closure is called.
final class MemberScores {
    let score: (Int, Int) -> Double
    let rows: FeatureRows?
    let lanes: Int
    private let scratch: DenseScratch?
    private let lane: UnsafeMutablePointer<Double>

    /// At most 32 MB of lanes (2,060 columns × 8 lanes is 132 kB).
    static let budget = 1 << 22

    init(score: @escaping (Int, Int) -> Double, rows: FeatureRows?, lanes: Int, budget: Int = MemberScores.budget) {
        self.score = score
        self.lanes = lanes
        lane = .allocate(capacity: lanes)
        if let rows, rows.dimension * lanes <= budget {
            self.rows = rows
            scratch = DenseScratch(dimension: rows.dimension, lanes: lanes)
        } else {
            self.rows = nil
            scratch = nil
        }
    }

    deinit { lane.deallocate() }

    /// Puts member x (the `j`-th to join) in lane j.
    func join(_ x: Int, at j: Int) {
        guard let rows, let scratch else { return }
        scratch.load(x, rows, lane: j)
    }

    /// Empties the lanes of `members` (lane j holds `members[j]`).
    func clear(_ members: [Int]) {
        guard let rows, let scratch else { return }
        for (j, m) in members.enumerated() { scratch.unload(m, rows, lane: j) }
    }

    /// `Σ score(x, m)` over `members` (all in their lanes), added in member order.
    ///
    /// - Complexity: O(nnz(x) · members).
    func total(_ x: Int, _ members: [Int]) -> Double {
        guard let rows, let scratch else { return members.reduce(0.0) { $0 + score(x, $1) } }
        let n = members.count
        for j in 0 ..< n { lane[j] = 0 }
        for k in rows.entries(x) {
            let v = rows.values[k], base = scratch.slot(rows.columns[k], 0)
            for j in 0 ..< n { lane[j] += v * base[j] }  // lane j: score(x, members[j]) so far
        }
        var t = 0.0
        for j in 0 ..< n { t += lane[j] }
        return t
    }

    /// `score(y, x)` for member x in lane j.
    ///
    /// - Complexity: O(nnz(y)).
    func score(_ y: Int, member x: Int, at j: Int) -> Double {
        guard let rows, let scratch else { return score(y, x) }
        return scratch.dot(y, rows, lane: j)
    }
}
