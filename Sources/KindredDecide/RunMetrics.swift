import KindredCore

/// Figures that tell a coordinator how well tonight's decisions went.
public enum RunMetrics {
    /// - Complexity: O(profiles + edges).
    public static func compute(profiles: [Profile], graph: CandidateGraph, support: [Assignment],
                               peers: [Assignment], groups: [SupportGroup],
                               unmatched: [Unmatched]) -> [(name: String, value: Double)] {
        var m: [(String, Double)] = []
        let seekersEligible = profiles.indices.filter {
            profiles[$0].active && profiles[$0].role == .seeker && !graph.neighbours[$0].isEmpty
        }.count
        m.append(("seekers_eligible", Double(seekersEligible)))
        m.append(("seekers_assigned", Double(support.count)))
        let scores = support.map(\.score.value)
        m.append(("support_score_mean", scores.isEmpty ? .nan : scores.reduce(0, +) / Double(scores.count)))
        m.append(("support_score_min", scores.min() ?? .nan))
        var load: [Int32: Int] = [:]
        for a in support { load[a.partner, default: 0] += 1 }
        let supporters = profiles.indices.filter { profiles[$0].active && profiles[$0].role == .supporter && !graph.neighbours[$0].isEmpty }
        let loads = supporters.map { Double(load[Int32($0)] ?? 0) }
        m.append(("supporters_eligible", Double(supporters.count)))
        m.append(("supporter_load_mean", loads.isEmpty ? .nan : loads.reduce(0, +) / Double(loads.count)))
        m.append(("supporter_load_max", loads.max() ?? .nan))
        m.append(("supporters_idle", Double(loads.filter { $0 == 0 }.count)))
        let fullSupporters = supporters.filter { (load[Int32($0)] ?? 0) >= profiles[$0].capacity }.count
        m.append(("supporters_at_capacity", Double(fullSupporters)))
        m.append(("peer_pairs", Double(peers.count)))
        m.append(("blocking_pairs", Double(BlockingPairs.count(profiles: profiles, graph: graph, support: support, peers: peers))))
        m.append(("groups", Double(groups.count)))
        let cohesion = groups.map(\.cohesion.value)
        m.append(("group_cohesion_mean", cohesion.isEmpty ? .nan : cohesion.reduce(0, +) / Double(cohesion.count)))
        m.append(("group_cohesion_min", cohesion.min() ?? .nan))
        m.append(("people_in_no_group", Double(unmatched.filter { $0.stage == .group }.count)))
        return m
    }
}

/// Counts pairs of the candidate graph that block an assignment (contract §4).
public enum BlockingPairs {
    /// A pair (a, b) blocks when a is free or holds a lower score than
    /// score(a, b), and b has room or holds a lower score than score(a, b).
    ///
    /// - Complexity: O(edges + assignments).
    public static func count(profiles: [Profile], graph: CandidateGraph, support: [Assignment], peers: [Assignment]) -> Int {
        // Worst score each profile holds and how many partners it holds.
        var worst = [Int32](repeating: Int32.max, count: profiles.count)
        var held = [Int](repeating: 0, count: profiles.count)
        for a in support + peers {
            for p in [Int(a.profile), Int(a.partner)] {
                worst[p] = min(worst[p], a.score.micro)
                held[p] += 1
            }
        }
        func wantsMore(_ p: Int, _ s: Int32) -> Bool {
            let cap = profiles[p].role == .supporter ? profiles[p].capacity : 1
            if held[p] < cap { return true }
            return held[p] > 0 && worst[p] < s
        }
        var blocking = 0
        for a in profiles.indices where profiles[a].active && profiles[a].role != .supporter {
            for c in graph.neighbours[a] {
                let b = Int(c.index)
                if profiles[a].role == .peer && b < a { continue }
                if wantsMore(a, c.score.micro) && wantsMore(b, c.score.micro) { blocking += 1 }
            }
        }
        return blocking
    }
}
