import KindredCore
@testable import KindredDecide

// The group formation and refinement exactly as they were before the fast
// path (commit dfe0bb8), kept as the straightforward reference that
// GroupFastPathTests compares the engine against, bit for bit. Do not
// optimise this file: its value is that it is the plain version.

struct ReferenceGroupFormation {
    typealias Settings = GroupFormation.Settings
    typealias Formed = GroupFormation.Formed

    let profiles: [Profile]
    /// A profile's sparse feature row, for the refinement's group sums; `nil` skips refinement.
    let row: ((Int) -> (columns: ArraySlice<Int32>, values: ArraySlice<Double>))?
    let dimension: Int
    let neighbours: (Int) -> ArraySlice<Candidate>
    let score: (Int, Int) -> Double
    let allowed: (Int, Int) -> Bool
    let settings: Settings
    /// How many people of the pool speak each language (to name a group's language).
    let languageFrequency: [String: Int]
    /// Use the refinement's sparse sums whatever their size.
    var forceSparseSums = false

    init(profiles: [Profile], neighbours: @escaping (Int) -> ArraySlice<Candidate>,
                score: @escaping (Int, Int) -> Double, allowed: @escaping (Int, Int) -> Bool,
                row: ((Int) -> (columns: ArraySlice<Int32>, values: ArraySlice<Double>))? = nil, dimension: Int = 0,
                settings: Settings, pool: [Int]) {
        self.profiles = profiles
        self.row = row
        self.dimension = dimension
        self.neighbours = neighbours
        self.score = score
        self.allowed = allowed
        self.settings = settings
        var freq: [String: Int] = [:]
        for i in pool { for l in profiles[i].languages { freq[l, default: 0] += 1 } }
        languageFrequency = freq
    }

    /// Forms groups from `pool`; returns the groups and a reason for everyone left out.
    ///
    /// - Parameter kept: groups fixed in advance (incumbents, already checked);
    ///   they are returned first, and leftovers may join them when they have room.
    func form(pool: [Int], kept: [(members: [Int], language: String)] = []) -> (groups: [Formed], left: [(Int, String)]) {
        var assigned = [Bool](repeating: false, count: profiles.count)
        var groupOf = [Int](repeating: -1, count: profiles.count)
        var groups: [[Int]] = []
        for g in kept {
            for m in g.members {
                assigned[m] = true
                groupOf[m] = groups.count
            }
            groups.append(g.members)
        }

        let potential: [Int: Double] = Dictionary(uniqueKeysWithValues: pool.map { i in
            (i, neighbours(i).prefix(settings.groupMax - 1).reduce(0.0) { $0 + $1.score.value })
        })
        let seeds = pool.sorted { potential[$0]! != potential[$1]! ? potential[$0]! > potential[$1]! : $0 < $1 }
        for seed in seeds where !assigned[seed] {
            guard let members = grow(seed: seed, assigned: assigned) else { continue }
            for m in members {
                assigned[m] = true
                groupOf[m] = groups.count
            }
            groups.append(members)
        }

        // Place leftovers into groups with room.
        for x in pool where !assigned[x] {
            var best: (group: Int, mean: Double)?
            var tried = Set<Int>()
            for c in neighbours(x) {
                let g = groupOf[Int(c.index)]
                guard g >= 0, tried.insert(g).inserted, groups[g].count < settings.groupMax else { continue }
                guard groups[g].allSatisfy({ allowed(x, $0) }), !commonLanguages(groups[g] + [x]).isEmpty else { continue }
                let mean = groups[g].reduce(0.0) { $0 + score(x, $1) } / Double(groups[g].count)
                // A latecomer must fit at least half as well as the members do
                // with each other, so joining never drags a group down much.
                let floor = settings.joinRatio * GroupDescription.meanPairScore(groups[g], score: score)
                if mean > 0, mean >= floor, best == nil || mean > best!.mean { best = (g, mean) }
            }
            if let best {
                groups[best.group].append(x)
                assigned[x] = true
                groupOf[x] = best.group
            }
        }

        if let row {
            var refinement = ReferenceGroupRefinement(profiles: profiles, neighbours: neighbours, allowed: allowed, row: row,
                                                      settings: settings, dimension: dimension)
            if forceSparseSums { refinement.denseBudget = 0 }
            refinement.refine(&groups, groupOf: &groupOf, fixed: kept.count)
        }

        let formed = groups.enumerated().map { n, g -> Formed in
            let members = g.sorted()
            // A kept group keeps its language if every (new) member speaks it.
            if n < kept.count, members.allSatisfy({ profiles[$0].languages.contains(kept[n].language) }) {
                return Formed(members: members.map(Int32.init), language: kept[n].language)
            }
            return Formed(members: members.map(Int32.init), language: chooseLanguage(commonLanguages(members)))
        }
        var left: [(Int, String)] = []
        let noun = pool.first.map { profiles[$0].role.rawValue } ?? "person"
        for x in pool where !assigned[x] {
            let compatible = neighbours(x).count
            if compatible == 0 {
                left.append((x, "no other \(noun) can share a group with this person (language, safeguarding, gender preference, exclusions, or nothing in common)"))
            } else if compatible < settings.groupMin - 1 {
                left.append((x, "only \(compatible) compatible \(noun)\(compatible == 1 ? "" : "s") found; a group needs \(settings.groupMin)"))
            } else {
                left.append((x, "no group with room suited this person, and too few similar \(noun)s were left to start one (a new group needs \(settings.groupMin) people with cohesion at least \(settings.minCohesion))"))
            }
        }
        return (formed, left)
    }

    /// Grows one group from a seed; `nil` if it cannot reach `groupMin`.
    private func grow(seed: Int, assigned: [Bool]) -> [Int]? {
        var members = [seed]
        var common = Set(profiles[seed].languages)
        // Candidate -> sum of scores to all current members.
        var sums: [Int: Double] = [:]
        func consider(neighboursOf m: Int) {
            for c in neighbours(m) {
                let x = Int(c.index)
                guard !assigned[x], sums[x] == nil, !members.contains(x) else { continue }
                guard members.allSatisfy({ allowed(x, $0) }), !common.isDisjoint(with: profiles[x].languages) else { continue }
                sums[x] = members.reduce(0.0) { $0 + score(x, $1) }
            }
        }
        consider(neighboursOf: seed)
        var pairSum = 0.0
        while members.count < settings.groupMax {
            // Best candidate: highest sum (= highest mean), then lowest index.
            guard let (x, sum) = sums.max(by: { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }) else { break }
            let mean = sum / Double(members.count)
            if members.count >= settings.groupMin {
                let cohesion = pairSum / Double(members.count * (members.count - 1) / 2)
                if mean < settings.keepRatio * cohesion { break }
            }
            guard mean > 0 else { break }
            members.append(x)
            pairSum += sum
            common.formIntersection(profiles[x].languages)
            sums[x] = nil
            // Update the others: drop those no longer allowed, add score to x.
            for (y, s) in sums {
                if allowed(y, x) && !common.isDisjoint(with: profiles[y].languages) {
                    sums[y] = s + score(y, x)
                } else {
                    sums[y] = nil
                }
            }
            consider(neighboursOf: x)
        }
        guard members.count >= settings.groupMin else { return nil }
        // A group no more alike than people picked at random is not suggested.
        let cohesion = pairSum / Double(members.count * (members.count - 1) / 2)
        return cohesion >= settings.minCohesion ? members : nil
    }

    private func commonLanguages(_ members: [Int]) -> Set<String> {
        var common = Set(profiles[members[0]].languages)
        for m in members.dropFirst() { common.formIntersection(profiles[m].languages) }
        return common
    }

    /// The group's language: of the languages all members share, the one most
    /// spoken in the pool (then byte order).
    private func chooseLanguage(_ common: Set<String>) -> String {
        common.min { a, b in
            let fa = languageFrequency[a] ?? 0, fb = languageFrequency[b] ?? 0
            return fa != fb ? fa > fb : TextNormalization.byteOrder(a, b)
        } ?? ""
    }
}

struct ReferenceGroupRefinement {
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
    var denseBudget = 48 << 20

    /// Improves `groups` in place; groups with index < `fixed` are not touched.
    func refine(_ groups: inout [[Int]], groupOf: inout [Int], fixed: Int) {
        guard groups.count - fixed >= 2 else { return }
        if groups.count * dimension <= denseBudget {
            var sums = ReferenceDenseSums(groups: groups.count, dimension: dimension)
            run(&groups, groupOf: &groupOf, fixed: fixed, sums: &sums)
        } else {
            var sums = ReferenceSparseSums(groups: groups.count)
            run(&groups, groupOf: &groupOf, fixed: fixed, sums: &sums)
        }
    }

    private func run<S: ReferenceGroupSums>(_ groups: inout [[Int]], groupOf: inout [Int], fixed: Int, sums: inout S) {
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


/// Per-group sum vectors `S_G`, with the one operation the search needs.
protocol ReferenceGroupSums {
    mutating func add(_ row: SparseRow, to g: Int, sign: Double)
    func dot(_ row: SparseRow, _ g: Int) -> Double
}

/// Dense sums: one `dimension`-long row per group; a dot product is nnz loads.
struct ReferenceDenseSums: ReferenceGroupSums {
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
struct ReferenceSparseSums: ReferenceGroupSums {
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
