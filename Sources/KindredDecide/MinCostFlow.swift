/// Minimum-cost flow by successive shortest paths (Dijkstra with Johnson
/// potentials), for the `optimal` and `coverage` assignment modes.
///
/// Costs are integers (scores in millionths, negated), so results are exact.
/// Each augmentation pushes one unit along a cheapest path; the caller stops
/// when the next path would not lower the total cost (``run(stopWhenNonNegative:)``).
///
/// - Complexity: O(F · E log V) for F units of flow, E edges, V nodes; in
///   practice much less, since Dijkstra stops when it reaches the sink.
struct MinCostFlow {
    private var head: [Int32]
    private var to: [Int32] = []
    private var next: [Int32] = []
    private var capacity: [Int32] = []
    private var cost: [Int64] = []
    let nodes: Int

    init(nodes: Int) {
        self.nodes = nodes
        head = [Int32](repeating: -1, count: nodes)
    }

    /// Adds an edge and its residual twin; returns the edge's index.
    @discardableResult
    mutating func addEdge(_ u: Int, _ v: Int, capacity c: Int, cost w: Int64) -> Int {
        let e = to.count
        to.append(Int32(v)); capacity.append(Int32(c)); cost.append(w); next.append(head[u]); head[u] = Int32(e)
        to.append(Int32(u)); capacity.append(0); cost.append(-w); next.append(head[v]); head[v] = Int32(e + 1)
        return e
    }

    /// Flow on edge `e` (as returned by ``addEdge(_:_:capacity:cost:)``).
    func flow(_ e: Int) -> Int { Int(capacity[e + 1]) }

    /// Pushes flow from `source` to `sink` along cheapest paths.
    ///
    /// - Parameters:
    ///   - initialPotential: a feasible potential (reduced costs ≥ 0 on edges
    ///     with capacity), e.g. shortest distances from the source on a DAG.
    ///   - stopWhenNonNegative: stop once the cheapest path costs ≥ 0 (maximum
    ///     weight rather than maximum flow).
    /// - Returns: the units of flow pushed.
    mutating func run(source: Int, sink: Int, initialPotential: [Int64], stopWhenNonNegative: Bool) -> Int {
        var potential = initialPotential
        let infinity = Int64.max / 4
        var distance = [Int64](repeating: infinity, count: nodes)
        var parentEdge = [Int32](repeating: -1, count: nodes)
        var touched: [Int32] = []
        var pushed = 0
        while true {
            // Dijkstra on reduced costs, stopping when the sink is settled.
            for v in touched { distance[Int(v)] = infinity; parentEdge[Int(v)] = -1 }
            touched.removeAll(keepingCapacity: true)
            var heap = BinaryHeap()
            distance[source] = 0
            touched.append(Int32(source))
            heap.push(0, Int32(source))
            var reached = false
            while let (d, u32) = heap.pop() {
                let u = Int(u32)
                if d > distance[u] { continue }
                if u == sink { reached = true; break }
                var e = Int(head[u])
                while e >= 0 {
                    if capacity[e] > 0 {
                        let v = Int(to[e])
                        let nd = d + cost[e] + potential[u] - potential[v]
                        if nd < distance[v] {
                            if distance[v] == infinity { touched.append(Int32(v)) }
                            distance[v] = nd
                            parentEdge[v] = Int32(e)
                            heap.push(nd, Int32(v))
                        }
                    }
                    e = Int(next[e])
                }
            }
            guard reached else { break }
            let dSink = distance[sink]
            // Potentials: settled nodes get their distance, all others the
            // sink's (the early-exit rule that keeps reduced costs ≥ 0). All are
            // shifted by -dSink, which changes no reduced cost, so untouched
            // nodes need no update.
            for v in touched {
                let vi = Int(v)
                potential[vi] += min(distance[vi], dSink) - dSink
            }
            // True path cost = Σ costs along the path.
            var real: Int64 = 0
            var v = sink
            while v != source {
                let e = Int(parentEdge[v])
                real += cost[e]
                v = Int(to[e ^ 1])
            }
            if stopWhenNonNegative && real >= 0 { break }
            v = sink
            while v != source {
                let e = Int(parentEdge[v])
                capacity[e] -= 1
                capacity[e ^ 1] += 1
                v = Int(to[e ^ 1])
            }
            pushed += 1
        }
        return pushed
    }
}

/// A binary min-heap of (distance, node).
private struct BinaryHeap {
    private var items: [(Int64, Int32)] = []

    mutating func push(_ d: Int64, _ v: Int32) {
        items.append((d, v))
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if items[p].0 <= items[i].0 { break }
            items.swapAt(p, i)
            i = p
        }
    }

    mutating func pop() -> (Int64, Int32)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && items[l].0 < items[m].0 { m = l }
                if r < items.count && items[r].0 < items[m].0 { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}
