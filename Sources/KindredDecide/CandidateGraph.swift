import KindredCore

/// The pairs that appear in the ranked matches, either direction (contract §4),
/// as adjacency lists with each pair's score.
///
/// Scores are symmetric, so a pair found from either side has one score.
public struct CandidateGraph: Sendable {
    /// `neighbours[i]`: (partner, score), sorted by the ranking order.
    public let neighbours: Adjacency

    /// - Complexity: O(E log d) for E ranked entries and d the longest list.
    public init(_ matches: RankedMatches) {
        let n = matches.profileCount
        // Every entry twice, once from each side, in compressed rows: count,
        // then fill (no array per profile: at a million people, a million
        // small arrays cost time and memory).
        var start = [Int](repeating: 0, count: n + 1)
        for i in 0 ..< n {
            for c in matches.candidates(of: i) {
                start[i + 1] += 1
                start[Int(c.index) + 1] += 1
            }
        }
        for i in 0 ..< n { start[i + 1] += start[i] }
        var next = start
        var all = [Candidate](repeating: Candidate(index: 0, score: Score(0)), count: start[n])
        for i in 0 ..< n {
            for c in matches.candidates(of: i) {
                all[next[i]] = c
                next[i] += 1
                all[next[Int(c.index)]] = Candidate(index: Int32(i), score: c.score)
                next[Int(c.index)] += 1
            }
        }
        // Per list: sort, drop the copy of a pair seen from both sides, and
        // move it down to close the gaps (writes never pass the reads).
        var offsets = [0]
        offsets.reserveCapacity(n + 1)
        var kept = 0
        all.withUnsafeMutableBufferPointer { all in
            for i in 0 ..< n {
                var list = UnsafeMutableBufferPointer(rebasing: all[start[i] ..< start[i + 1]])
                list.sort(by: Candidate.ranksBefore)
                let first = kept
                for c in list where kept == first || all[kept - 1].index != c.index {
                    all[kept] = c
                    kept += 1
                }
                offsets.append(kept)
            }
        }
        all.removeLast(all.count - kept)
        neighbours = Adjacency(offsets: offsets, entries: all)
    }

    /// The score of an edge, if the pair is in the graph.
    public func score(_ a: Int, _ b: Int) -> Score? {
        neighbours[a].first { Int($0.index) == b }?.score
    }

    /// Every profile's list in one array (compressed rows).
    public struct Adjacency: Sendable {
        private let offsets: [Int]
        private let entries: [Candidate]

        fileprivate init(offsets: [Int], entries: [Candidate]) {
            self.offsets = offsets
            self.entries = entries
        }

        /// Profile `i`'s list, indexed from 0.
        public subscript(i: Int) -> Neighbours {
            Neighbours(entries: entries, start: offsets[i], end: offsets[i + 1])
        }
    }

    /// One profile's neighbours, best first, indexed from 0.
    public struct Neighbours: RandomAccessCollection, Sendable {
        private let entries: [Candidate]
        private let start: Int
        private let end: Int

        fileprivate init(entries: [Candidate], start: Int, end: Int) {
            self.entries = entries
            self.start = start
            self.end = end
        }

        public var startIndex: Int { 0 }
        public var endIndex: Int { end - start }
        public subscript(k: Int) -> Candidate {
            precondition(k >= 0 && k < end - start, "neighbour index out of range")
            return entries[start + k]
        }
    }
}
