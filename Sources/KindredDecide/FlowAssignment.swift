import KindredCore

/// The `optimal` and `coverage` assignment modes, as a min-cost flow over the
/// candidate graph: source → seeker (1) → supporter (1 per edge) → sink
/// (capacity).
///
/// - `optimal`: maximum total score (edge cost = -score). A seeker stays
///   unassigned only when assigning them would lower the total.
/// - `coverage`: as many seekers assigned as possible, then the highest total
///   score (edge cost = -(M + score) with M larger than any total score, so one
///   more assignment always beats any gain in score).
///
/// Ties between equally good solutions are settled by the graph's
/// construction order (profile order), so results are deterministic.
public enum FlowAssignment {
    /// - Parameter kept: pairs fixed in advance (incumbents).
    public static func assign(profiles: [Profile], graph: CandidateGraph, mode: AssignmentMode,
                              kept: [Assignment] = []) -> [Assignment] {
        precondition(mode != .stable)
        var room = profiles.map(\.capacity)
        for k in kept { room[Int(k.partner)] -= 1 }
        let fixed = Set(kept.map { Int($0.profile) })
        let seekers = profiles.indices.filter {
            profiles[$0].active && profiles[$0].role == .seeker && !graph.neighbours[$0].isEmpty && !fixed.contains($0)
        }
        let supporters = profiles.indices.filter {
            profiles[$0].active && profiles[$0].role == .supporter && room[$0] > 0 && !graph.neighbours[$0].isEmpty
        }
        guard !seekers.isEmpty, !supporters.isEmpty else { return kept.sorted { $0.profile < $1.profile } }
        var node = [Int: Int]()
        for (k, s) in seekers.enumerated() { node[s] = 1 + k }
        for (k, p) in supporters.enumerated() { node[p] = 1 + seekers.count + k }
        let source = 0, sink = 1 + seekers.count + supporters.count
        var flow = MinCostFlow(nodes: sink + 1)
        let bonus: Int64 = mode == .coverage ? Int64(seekers.count + 1) * 1_000_001 : 0
        // Initial potential: shortest distances from the source (the graph is a DAG).
        var potential = [Int64](repeating: 0, count: sink + 1)
        var edges: [(edge: Int, seeker: Int, supporter: Int, score: Score)] = []
        for s in seekers {
            flow.addEdge(source, node[s]!, capacity: 1, cost: 0)
        }
        for s in seekers {
            for c in graph.neighbours[s] {
                guard let v = node[Int(c.index)] else { continue }
                let cost = -(bonus + Int64(c.score.micro))
                let e = flow.addEdge(node[s]!, v, capacity: 1, cost: cost)
                edges.append((e, s, Int(c.index), c.score))
                potential[v] = min(potential[v], cost)
            }
        }
        for p in supporters {
            flow.addEdge(node[p]!, sink, capacity: room[p], cost: 0)
            potential[sink] = min(potential[sink], potential[node[p]!])
        }
        _ = flow.run(source: source, sink: sink, initialPotential: potential, stopWhenNonNegative: true)
        return (kept + edges.filter { flow.flow($0.edge) > 0 }
            .map { Assignment(kind: .support, profile: Int32($0.seeker), partner: Int32($0.supporter), score: $0.score) })
            .sorted { $0.profile < $1.profile }
    }
}
