import KindredCore

/// The pairs that appear in the ranked matches, either direction (contract §4),
/// as adjacency lists with each pair's score.
///
/// Scores are symmetric, so a pair found from either side has one score.
public struct CandidateGraph: Sendable {
    /// `neighbours[i]`: (partner, score), sorted by the ranking order.
    public let neighbours: [[Candidate]]

    /// - Complexity: O(E log E) for E ranked entries.
    public init(_ matches: RankedMatches) {
        let n = matches.profileCount
        var lists = [[Candidate]](repeating: [], count: n)
        for i in 0 ..< n {
            for c in matches.candidates(of: i) {
                lists[i].append(c)
                lists[Int(c.index)].append(Candidate(index: Int32(i), score: c.score))
            }
        }
        for i in 0 ..< n where !lists[i].isEmpty {
            lists[i].sort(by: Candidate.ranksBefore)
            // Drop the copy of a pair seen from both sides.
            var w = 0
            for r in lists[i].indices where r == 0 || lists[i][r].index != lists[i][w - 1].index {
                lists[i][w] = lists[i][r]
                w += 1
            }
            lists[i].removeLast(lists[i].count - w)
        }
        neighbours = lists
    }

    /// The score of an edge, if the pair is in the graph.
    public func score(_ a: Int, _ b: Int) -> Score? {
        neighbours[a].first { Int($0.index) == b }?.score
    }
}
