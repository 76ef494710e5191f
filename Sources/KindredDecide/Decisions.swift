import KindredCore

/// The decision stage: assignments, peer pairs, groups and who was left out.
public struct Decisions: Sendable {
    public var assignments: [Assignment]
    public var groups: [SupportGroup]
    /// Rows for the `assignment` and `group` stages.
    public var unmatched: [Unmatched]
    /// Run metrics (see docs/Outputs.md), by name.
    public var metrics: [(name: String, value: Double)]

    /// Runs every decision over the ranked matches.
    public static func make(dataset: Dataset, matches: RankedMatches, config: KindredConfig) -> Decisions {
        let profiles = dataset.profiles
        let graph = CandidateGraph(matches)
        let support = StableAssignment.assign(profiles: profiles, graph: graph)
        let peers = PeerPairing.pair(profiles: profiles, graph: graph)
        let unmatched = AssignmentReasons.unmatched(profiles: profiles, graph: graph, assignments: support + peers)
        let metrics = RunMetrics.compute(profiles: profiles, graph: graph, support: support, peers: peers,
                                         groups: [], unmatched: unmatched)
        return Decisions(assignments: support + peers, groups: [], unmatched: unmatched, metrics: metrics)
    }
}

/// Reasons for people eligible for the assignment stage who got no partner.
///
/// Eligible (contract §4): a seeker or supporter with at least one candidate
/// of the other role, a peer with at least one peer candidate.
enum AssignmentReasons {
    static func unmatched(profiles: [Profile], graph: CandidateGraph, assignments: [Assignment]) -> [Unmatched] {
        var load = [Int](repeating: 0, count: profiles.count)
        for a in assignments {
            load[Int(a.profile)] += 1
            load[Int(a.partner)] += 1
        }
        var out: [Unmatched] = []
        for i in profiles.indices where profiles[i].active && !graph.neighbours[i].isEmpty && load[i] == 0 {
            let candidates = graph.neighbours[i]
            let n = candidates.count
            let reason: String
            switch profiles[i].role {
            case .seeker:
                if candidates.allSatisfy({ profiles[Int($0.index)].capacity == 0 }) {
                    reason = "\(plural(n, "candidate supporter")) \(n == 1 ? "has" : "have") capacity 0: raise a capacity or recruit a supporter"
                } else {
                    reason = "all \(plural(n, "candidate supporter")) are at capacity with closer matches: more supporter capacity would help"
                }
            case .supporter:
                if profiles[i].capacity == 0 {
                    reason = "capacity is 0: set a capacity to take seekers"
                } else {
                    reason = "all \(plural(n, "candidate seeker")) went to supporters with higher scores"
                }
            case .peer:
                reason = "all \(plural(n, "candidate peer")) were paired with closer matches"
            }
            out.append(Unmatched(profile: Int32(i), stage: .assignment, reason: reason))
        }
        return out
    }

    static func plural(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}
