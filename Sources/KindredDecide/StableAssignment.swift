import KindredCore

/// Stable support assignments: seeker-proposing deferred acceptance
/// (Gale–Shapley, hospitals/residents form) over the candidate graph.
///
/// Preferences on both sides are by score, ties broken by the other side's
/// id (byte order), which makes them strict, so the result is the unique
/// seeker-optimal stable matching and is deterministic. No pair in the graph
/// blocks: it is never true that a seeker is unassigned or holds a lower score
/// while the supporter has room or holds a lower-scored seeker (contract §4).
///
/// - Complexity: O(E · C) for E graph edges and largest capacity C (a full
///   supporter's held seekers are scanned for the worst; capacities are small).
public enum StableAssignment {
    /// - Parameter kept: pairs fixed in advance (incumbents); their seekers take
    ///   no part and their supporters' capacity is reduced accordingly.
    public static func assign(profiles: [Profile], graph: CandidateGraph, kept: [Assignment] = []) -> [Assignment] {
        // Each supporter's held seekers; the worst is found by a scan, capacities are small.
        var held = [[Candidate]](repeating: [], count: profiles.count)
        var nextChoice = [Int](repeating: 0, count: profiles.count)
        var room = profiles.map(\.capacity)
        for k in kept { room[Int(k.partner)] -= 1 }
        let fixed = Set(kept.map { Int($0.profile) })
        var free: [Int] = profiles.indices.filter {
            profiles[$0].role == .seeker && profiles[$0].active && !fixed.contains($0)
        }.reversed()
        while let s = free.popLast() {
            let prefs = graph.neighbours[s]
            while nextChoice[s] < prefs.count {
                let offer = prefs[nextChoice[s]]
                nextChoice[s] += 1
                let p = Int(offer.index)
                let capacity = room[p]
                guard capacity > 0 else { continue }
                let me = Candidate(index: Int32(s), score: offer.score)
                if held[p].count < capacity {
                    held[p].append(me)
                    break
                }
                // Full: replace the worst held seeker if this one ranks before it.
                let worst = held[p].indices.max { Candidate.ranksBefore(held[p][$0], held[p][$1]) }!
                if Candidate.ranksBefore(me, held[p][worst]) {
                    free.append(Int(held[p][worst].index))
                    held[p][worst] = me
                    break
                }
            }
        }
        var out: [Assignment] = kept
        for p in held.indices {
            for c in held[p] { out.append(Assignment(kind: .support, profile: c.index, partner: Int32(p), score: c.score)) }
        }
        out.sort { $0.profile < $1.profile }
        return out
    }
}

/// Stable peer pairs: the greedy matching over edges in decreasing score.
///
/// With one symmetric score per pair and a strict order on edges (score desc,
/// then smaller id, then larger id), the greedy matching is stable: an edge
/// left out met a partner already taken with a score at least as high. A
/// general stable-roommates instance may have no stable matching; this one
/// always has, because the preferences come from one global edge order.
///
/// - Complexity: O(E log E).
public enum PeerPairing {
    /// - Parameter kept: pairs fixed in advance (incumbents).
    public static func pair(profiles: [Profile], graph: CandidateGraph, kept: [Assignment] = []) -> [Assignment] {
        var edges: [(a: Int32, b: Int32, score: Score)] = []
        for i in profiles.indices where profiles[i].role == .peer {
            for c in graph.neighbours[i] where Int(c.index) > i { edges.append((Int32(i), c.index, c.score)) }
        }
        edges.sort { x, y in
            x.score != y.score ? x.score > y.score : x.a != y.a ? x.a < y.a : x.b < y.b
        }
        var taken = [Bool](repeating: false, count: profiles.count)
        for k in kept { taken[Int(k.profile)] = true; taken[Int(k.partner)] = true }
        var out: [Assignment] = kept
        for e in edges where !taken[Int(e.a)] && !taken[Int(e.b)] {
            taken[Int(e.a)] = true
            taken[Int(e.b)] = true
            out.append(Assignment(kind: .peer, profile: e.a, partner: e.b, score: e.score))
        }
        out.sort { $0.profile < $1.profile }
        return out
    }
}
