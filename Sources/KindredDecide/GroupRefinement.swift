import KindredCore

/// Local search after greedy group growth: moves and swaps of members between
/// neighbouring groups that raise the mean cohesion of the groups without ever
/// lowering the weaker group of the two involved.
///
/// Within-group score sums come from group sum vectors: with `S_G = Σ_{m∈G} x_m`,
/// a person's total score to a group is one sparse dot product `x · S_G`, so a
/// candidate move or swap costs a few dot products instead of O(g) pairwise
/// scores (the group-centroid formulation of the pairwise objective).
///
/// A move or swap must keep every hard rule inside both groups (checked pairwise
/// with the compiled rules), a shared language in both, and the size bounds.
/// Only groups that a person's nearest neighbours belong to are tried.
/// Deterministic: people in index order, candidate groups in neighbour order,
/// first strictly best gain wins.
///
/// - Complexity: O(passes · n · c · g) sparse dot products for n people, c
///   candidate groups each and groups of at most g.
struct GroupRefinement {
    let profiles: [Profile]
    let neighbours: (Int) -> ArraySlice<Candidate>
    let allowed: (Int, Int) -> Bool
    /// A profile's sparse feature row (sorted columns, values): the score is the dot product.
    let row: (Int) -> (columns: ArraySlice<Int32>, values: ArraySlice<Double>)
    let settings: GroupFormation.Settings
    /// Number of feature columns (dense group sums are used when they fit).
    let dimension: Int
    var passes = 2
    var candidateGroups = 4
    /// Largest dense group-sum table, in doubles (384 MiB); beyond it the sums
    /// are kept as sparse maps, slower but small.
    static let denseBudget = 48 << 20

    /// Improves `groups` in place; groups with index < `fixed` are not touched.
    func refine(_ groups: inout [[Int]], groupOf: inout [Int], fixed: Int) {
        guard groups.count - fixed >= 2 else { return }
        if groups.count * dimension <= GroupRefinement.denseBudget {
            var sums = DenseSums(groups: groups.count, dimension: dimension)
            run(&groups, groupOf: &groupOf, fixed: fixed, sums: &sums)
        } else {
            var sums = SparseSums(groups: groups.count)
            run(&groups, groupOf: &groupOf, fixed: fixed, sums: &sums)
        }
    }

    private func run<S: GroupSums>(_ groups: inout [[Int]], groupOf: inout [Int], fixed: Int, sums: inout S) {
        // Languages as bit masks (by first appearance; the 64th and later share
        // the top bit, and then the exact string test decides).
        var bit: [String: Int] = [:]
        var mask = [UInt64](repeating: 0, count: profiles.count)
        var norm2 = [Double](repeating: 0, count: profiles.count)
        for g in groups { for m in g {
            var v: UInt64 = 0
            for l in profiles[m].languages {
                let b = bit[l] ?? { let n = min(bit.count, 63); bit[l] = n; return n }()
                v |= 1 << UInt64(b)
            }
            mask[m] = v
            norm2[m] = selfDot(m)
        } }
        let exactLanguages = bit.count > 63
        func sharesLanguage(_ members: [Int]) -> Bool {
            var common = UInt64.max
            for m in members { common &= mask[m] }
            if common == 0 { return false }
            return !exactLanguages || self.sharesLanguage(members)
        }
        for g in groups.indices { for m in groups[g] { sums.add(row(m), to: g, sign: 1) } }
        // fit[m]: m's total score to the others in its group, x · S_G - |x|².
        var fit = [Double](repeating: 0, count: profiles.count)
        func refreshFit(_ g: Int) { for m in groups[g] { fit[m] = sums.dot(row(m), g) - norm2[m] } }
        for g in groups.indices { refreshFit(g) }
        var pairSums = groups.indices.map { g in groups[g].reduce(0.0) { $0 + fit[$1] } / 2 }
        func cohesion(_ p: Double, _ n: Int) -> Double { n > 1 ? p / Double(n * (n - 1) / 2) : 0 }
        let people = groups[fixed...].flatMap { $0 }.sorted()
        for _ in 0 ..< passes {
            var changed = false
            for x in people {
                let g1 = groupOf[x]
                guard g1 >= fixed else { continue }
                let n1 = groups[g1].count
                let c1 = cohesion(pairSums[g1], n1)
                let fx1 = fit[x]
                let rest1 = groups[g1].filter { $0 != x }
                var tried = Set<Int>()
                var best: (gain: Double, g2: Int, y: Int?, p1: Double, p2: Double)?
                for c in neighbours(x) {
                    let g2 = groupOf[Int(c.index)]
                    guard g2 >= fixed, g2 != g1, tried.insert(g2).inserted else { continue }
                    if tried.count > candidateGroups { break }
                    let n2 = groups[g2].count
                    let c2 = cohesion(pairSums[g2], n2)
                    let floor = min(c1, c2)
                    let xS2 = sums.dot(row(x), g2)
                    // Move x into g2. The gain is computed first: rules and
                    // languages are checked only for a move that would win.
                    if n1 > settings.groupMin, n2 < settings.groupMax {
                        let p1 = pairSums[g1] - fx1, p2 = pairSums[g2] + xS2
                        let new1 = cohesion(p1, n1 - 1), new2 = cohesion(p2, n2 + 1)
                        let gain = new1 + new2 - c1 - c2
                        if gain > (best?.gain ?? 1e-9), min(new1, new2) >= floor,
                           groups[g2].allSatisfy({ allowed(x, $0) }), sharesLanguage(groups[g2] + [x]) {
                            best = (gain, g2, nil, p1, p2)
                        }
                    }
                    // Swap x with y of g2.
                    for y in groups[g2] {
                        let xy = pairDot(x, y)
                        let p1 = pairSums[g1] - fx1 + sums.dot(row(y), g1) - xy
                        let p2 = pairSums[g2] - fit[y] + xS2 - xy
                        let new1 = cohesion(p1, n1), new2 = cohesion(p2, n2)
                        let gain = new1 + new2 - c1 - c2
                        guard gain > (best?.gain ?? 1e-9), min(new1, new2) >= floor else { continue }
                        let rest2 = groups[g2].filter { $0 != y }
                        guard rest1.allSatisfy({ allowed(y, $0) }), rest2.allSatisfy({ allowed(x, $0) }),
                              sharesLanguage(rest1 + [y]), sharesLanguage(rest2 + [x]) else { continue }
                        best = (gain, g2, y, p1, p2)
                    }
                }
                guard let b = best else { continue }
                groups[g1].removeAll { $0 == x }
                groups[b.g2].append(x)
                groupOf[x] = b.g2
                sums.add(row(x), to: b.g2, sign: 1)
                sums.add(row(x), to: g1, sign: -1)
                if let y = b.y {
                    groups[b.g2].removeAll { $0 == y }
                    groups[g1].append(y)
                    groupOf[y] = g1
                    sums.add(row(y), to: g1, sign: 1)
                    sums.add(row(y), to: b.g2, sign: -1)
                }
                pairSums[g1] = b.p1
                pairSums[b.g2] = b.p2
                refreshFit(g1)
                refreshFit(b.g2)
                changed = true
            }
            if !changed { break }
        }
    }

    private func selfDot(_ m: Int) -> Double { row(m).values.reduce(0) { $0 + $1 * $1 } }

    private func pairDot(_ a: Int, _ b: Int) -> Double {
        let (ca, va) = row(a), (cb, vb) = row(b)
        var i = ca.startIndex, j = cb.startIndex, d = 0.0
        while i < ca.endIndex && j < cb.endIndex {
            if ca[i] == cb[j] { d += va[i] * vb[j]; i += 1; j += 1 } else if ca[i] < cb[j] { i += 1 } else { j += 1 }
        }
        return d
    }

    private func sharesLanguage(_ members: [Int]) -> Bool {
        var common = Set(profiles[members[0]].languages)
        for m in members.dropFirst() {
            common.formIntersection(profiles[m].languages)
            if common.isEmpty { return false }
        }
        return true
    }
}

typealias SparseRow = (columns: ArraySlice<Int32>, values: ArraySlice<Double>)

/// Per-group sum vectors `S_G`, with the one operation the search needs.
protocol GroupSums {
    mutating func add(_ row: SparseRow, to g: Int, sign: Double)
    func dot(_ row: SparseRow, _ g: Int) -> Double
}

/// Dense sums: one `dimension`-long row per group; a dot product is nnz loads.
struct DenseSums: GroupSums {
    var table: [Double]
    let dimension: Int

    init(groups: Int, dimension: Int) {
        self.dimension = dimension
        table = [Double](repeating: 0, count: groups * dimension)
    }

    mutating func add(_ row: SparseRow, to g: Int, sign: Double) {
        let base = g * dimension
        for (c, v) in zip(row.columns, row.values) { table[base + Int(c)] += sign * v }
    }

    func dot(_ row: SparseRow, _ g: Int) -> Double {
        let base = g * dimension
        var d = 0.0
        for (c, v) in zip(row.columns, row.values) { d += v * table[base + Int(c)] }
        return d
    }
}

/// Sparse sums, for very many groups over a wide vocabulary.
struct SparseSums: GroupSums {
    var maps: [[Int32: Double]]

    init(groups: Int) { maps = Array(repeating: [:], count: groups) }

    mutating func add(_ row: SparseRow, to g: Int, sign: Double) {
        for (c, v) in zip(row.columns, row.values) { maps[g][c, default: 0] += sign * v }
    }

    func dot(_ row: SparseRow, _ g: Int) -> Double {
        var d = 0.0
        for (c, v) in zip(row.columns, row.values) { if let w = maps[g][c] { d += v * w } }
        return d
    }
}
