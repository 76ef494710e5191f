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
/// The dot products are gathers against dense scratch vectors (see
/// ``DenseScratch`` for why they have the same bits as sparse merges): while
/// person x is examined, x's row and the sums of x's group stay loaded, so each
/// swap partner y costs one pass over y's row for both `y · S_{G(x)}` and `x · y`,
/// and each candidate group one pass over its stored sums for `x · S_G`.
///
/// - Complexity: O(passes · n · c · g · nnz) for n people, c candidate groups
///   each, groups of at most g and rows of nnz entries; rules are checked only
///   for a change that would win.
struct GroupRefinement {
    let profiles: [Profile]
    let neighbours: (Int) -> ArraySlice<Candidate>
    let allowed: (Int, Int) -> Bool
    /// Every grouped person's feature row (the score is the dot product).
    let rows: FeatureRows
    /// Every grouped person's languages.
    let languages: LanguageMasks
    let settings: GroupFormation.Settings
    var passes = 2
    var candidateGroups = 4

    /// Improves `groups` in place; groups with index < `fixed` are not touched.
    func refine(_ groups: inout [[Int]], groupOf: inout [Int], fixed: Int) {
        guard groups.count - fixed >= 2 else { return }
        // The search runs on local ids: the people of the groups it may change,
        // numbered group by group, so that the rows, fits and norms of a group's
        // members sit together in memory (a swap reads all of a group's rows;
        // scattered rows made it wait on cache misses). Team t is group
        // `fixed + t`; the set of people in teams never changes.
        var profileOf: [Int] = []
        var local = [Int](repeating: -1, count: profiles.count)
        for g in groups[fixed...] { for m in g { local[m] = profileOf.count; profileOf.append(m) } }
        let initial = groups[fixed...].map { $0.map { local[$0] } }
        // Groups never grow past groupMax here (moves need n2 < groupMax).
        var teams = TeamTable(initial, capacity: max(settings.groupMax, initial.map(\.count).max() ?? 0))
        var teamOf = [Int32](repeating: 0, count: profileOf.count)
        for t in initial.indices { for m in initial[t] { teamOf[m] = Int32(t) } }
        let rows = FeatureRows(copying: self.rows, people: profileOf)
        // People in profile index order (the order they are examined in).
        let people = profileOf.indices.sorted { profileOf[$0] < profileOf[$1] }
        // What is read once per examined person is laid out in that order, so
        // it streams: their rows again, and their neighbours that are in a
        // team, as local ids in neighbour order (the others can never give a
        // candidate group).
        let ownRows = FeatureRows(copying: self.rows, people: people.map { profileOf[$0] })
        var nearStart = [0], near: [Int32] = []
        for x in people {
            for c in neighbours(profileOf[x]) where local[Int(c.index)] >= 0 { near.append(Int32(local[Int(c.index)])) }
            nearStart.append(near.count)
        }

        // `pair` holds the sums of the examined person's team (lane 0) and their
        // row (lane 1); `other` any other team's sums for a moment.
        let pair = DenseScratch(dimension: rows.dimension, lanes: 2)
        let other = DenseScratch(dimension: rows.dimension)
        var sums = GroupSumVectors(groups: initial, rows: rows, scratch: other)
        let norm2 = profileOf.indices.map { rows.selfDot($0) }
        // fit[m]: m's total score to the others in its team, x · S_G - |x|².
        var fit = [Double](repeating: 0, count: profileOf.count)
        func refreshFit(_ t: Int) {
            sums.load(t, into: other)
            for m in teams.team(t) { fit[Int(m)] = other.dot(Int(m), rows) - norm2[Int(m)] }
            sums.unload(t, from: other)
        }
        for t in 0 ..< teams.count { refreshFit(t) }
        var pairSums = (0 ..< teams.count).map { t in teams.team(t).reduce(0.0) { $0 + fit[Int($1)] } / 2 }
        func cohesion(_ p: Double, _ n: Int) -> Double { n > 1 ? p / Double(n * (n - 1) / 2) : 0 }
        func ids(_ t: Int) -> LazyMapSequence<ArraySlice<Int32>, Int> { teams.team(t).lazy.map { profileOf[Int($0)] } }
        var tried: [Int] = []
        tried.reserveCapacity(candidateGroups)

        for _ in 0 ..< passes {
            var changed = false
            for (position, x) in people.enumerated() {
                let px = profileOf[x]
                let t1 = Int(teamOf[x])
                let n1 = teams.size[t1]
                let c1 = cohesion(pairSums[t1], n1)
                let fx1 = fit[x]
                sums.load(t1, into: pair, lane: 0)
                pair.load(position, ownRows, lane: 1)
                tried.removeAll(keepingCapacity: true)
                var best: (gain: Double, t2: Int, y: Int?, p1: Double, p2: Double)?
                for l in near[nearStart[position] ..< nearStart[position + 1]] {
                    let t2 = Int(teamOf[Int(l)])
                    guard t2 != t1, !tried.contains(t2) else { continue }
                    if tried.count == candidateGroups { break }  // a further distinct group ends the search
                    tried.append(t2)
                    let n2 = teams.size[t2]
                    let c2 = cohesion(pairSums[t2], n2)
                    let floor = min(c1, c2)
                    let xS2 = sums.dot(t2, pair, lane: 1)  // x is in lane 1
                    // Move x into t2. The gain is computed first: rules and
                    // languages are checked only for a move that would win.
                    if n1 > settings.groupMin, n2 < settings.groupMax {
                        let p1 = pairSums[t1] - fx1, p2 = pairSums[t2] + xS2
                        let new1 = cohesion(p1, n1 - 1), new2 = cohesion(p2, n2 + 1)
                        let gain = new1 + new2 - c1 - c2
                        if gain > (best?.gain ?? 1e-9), min(new1, new2) >= floor,
                           ids(t2).allSatisfy({ allowed(px, $0) }), languages.shareOne(ids(t2), plus: px) {
                            best = (gain, t2, nil, p1, p2)
                        }
                    }
                    // Swap x with y of t2.
                    for m in teams.team(t2) {
                        let y = Int(m)
                        let (yS1, xy) = pair.dots(y, rows)
                        let p1 = pairSums[t1] - fx1 + yS1 - xy
                        let p2 = pairSums[t2] - fit[y] + xS2 - xy
                        let new1 = cohesion(p1, n1), new2 = cohesion(p2, n2)
                        let gain = new1 + new2 - c1 - c2
                        guard gain > (best?.gain ?? 1e-9), min(new1, new2) >= floor else { continue }
                        let py = profileOf[y]
                        guard ids(t1).allSatisfy({ $0 == px || allowed(py, $0) }),
                              ids(t2).allSatisfy({ $0 == py || allowed(px, $0) }),
                              languages.shareOne(ids(t1), skipping: px, plus: py),
                              languages.shareOne(ids(t2), skipping: py, plus: px) else { continue }
                        best = (gain, t2, y, p1, p2)
                    }
                }
                sums.unload(t1, from: pair, lane: 0)
                pair.unload(position, ownRows, lane: 1)
                guard let b = best else { continue }
                // Member order: x leaves t1 and ends t2, y leaves t2 and ends t1.
                // The sums see the additions in the same order as ever.
                teams.remove(x, from: t1)
                if let y = b.y { teams.remove(y, from: b.t2) }
                teams.append(x, to: b.t2)
                teamOf[x] = Int32(b.t2)
                sums.add(x, rows, to: b.t2, sign: 1)
                sums.add(x, rows, to: t1, sign: -1)
                if let y = b.y {
                    teams.append(y, to: t1)
                    teamOf[y] = Int32(t1)
                    sums.add(y, rows, to: t1, sign: 1)
                    sums.add(y, rows, to: b.t2, sign: -1)
                }
                pairSums[t1] = b.p1
                pairSums[b.t2] = b.p2
                refreshFit(t1)
                refreshFit(b.t2)
                changed = true
            }
            if !changed { break }
        }
        for t in 0 ..< teams.count {
            groups[fixed + t] = ids(t).map { $0 }
            for m in groups[fixed + t] { groupOf[m] = fixed + t }
        }
    }
}
