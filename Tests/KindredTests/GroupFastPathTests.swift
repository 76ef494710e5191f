import Testing
import KindredCore
@testable import KindredDecide
import KindredSimilarity
import KindredVectorize

/// The group fast path (flat rows, dense-scratch gathers, compact group sums,
/// language bit sets, flat candidate lists) must give exactly what the plain
/// implementation in GroupReference.swift gives: same groups, same member
/// order, same languages, same reasons. Everything is compared bit for bit,
/// on small random instances where ties are frequent.
@Suite struct GroupFastPathTests {
    /// Everything group formation needs, built as `kindred run` builds it.
    struct Inputs {
        let dataset: Dataset
        let features: FeatureSpace
        let rules: CompiledRules
        let neighbours: RankedMatches

        init(_ d: Dataset, groupMax: Int) {
            dataset = d
            features = Vectorizer.build(d, weights: .defaults)
            rules = CompiledRules(d)
            var config = KindredConfig()
            config.groupMax = groupMax
            let k = Decisions.groupNeighbourCount(config)
            let (r, _) = SimilarityEngine.rank(d, features: features, rules: rules,
                                               tasks: [.init(.peer, .peer, k: k), .init(.seeker, .supporter, k: 10),
                                                       .init(.seeker, .seeker, k: k)],
                                               options: .init(topK: 10, threads: 1))
            neighbours = r[0].forward.merged(with: r[2].forward) { d.profiles[$0].role == .peer }
        }

        func pool(_ role: Role) -> [Int] {
            dataset.profiles.indices.filter { dataset.profiles[$0].active && dataset.profiles[$0].role == role }
        }

        func fast(_ settings: GroupFormation.Settings, rows: Bool, pool: [Int]) -> GroupFormation {
            let (f, rules, n) = (features, rules, neighbours)
            return GroupFormation(profiles: dataset.profiles, neighbours: { n.candidates(of: $0) },
                                  score: { f.exactScore($0, $1) }, allowed: { rules.allows($0, $1) },
                                  row: rows ? { f.row($0) } : nil, dimension: f.dimension, settings: settings, pool: pool)
        }

        func reference(_ settings: GroupFormation.Settings, rows: Bool, pool: [Int], sparse: Bool = false) -> ReferenceGroupFormation {
            let (f, rules, n) = (features, rules, neighbours)
            var r = ReferenceGroupFormation(profiles: dataset.profiles, neighbours: { n.candidates(of: $0) },
                                            score: { f.exactScore($0, $1) }, allowed: { rules.allows($0, $1) },
                                            row: rows ? { f.row($0) } : nil, dimension: f.dimension, settings: settings,
                                            pool: pool)
            r.forceSparseSums = sparse
            return r
        }
    }

    static func settings(_ min: Int, _ max: Int, floors: Bool) -> GroupFormation.Settings {
        var s = GroupFormation.Settings(groupMin: min, groupMax: max, themeMax: 3)
        if !floors {
            s.minCohesion = 0
            s.joinRatio = 0
        }
        return s
    }

    static func expectSame(_ a: (groups: [GroupFormation.Formed], left: [(Int, String)]),
                           _ b: (groups: [GroupFormation.Formed], left: [(Int, String)]),
                           _ context: String) {
        // Report the first difference only: whole lists are unreadable.
        let ga = a.groups.map { "\($0.members) \($0.language)" }, gb = b.groups.map { "\($0.members) \($0.language)" }
        let la = a.left.map { "\($0.0): \($0.1)" }, lb = b.left.map { "\($0.0): \($0.1)" }
        for (name, x, y) in [("groups", ga, gb), ("left out", la, lb)] where x != y {
            let i = (0 ..< min(x.count, y.count)).first { x[$0] != y[$0] } ?? min(x.count, y.count)
            let first = i < x.count ? x[i] : "none", second = i < y.count ? y[i] : "none"
            Issue.record("\(context): \(name) differ first at \(i) of \(x.count) vs \(y.count): \(first) vs \(second)")
        }
    }

    static let sizes: [(min: Int, max: Int, floors: Bool)] = [
        (2, 3, false), (3, 5, true), (3, 5, false), (5, 8, true), (2, 12, false),
    ]

    /// The whole formation (growth, leftovers, refinement) against the reference,
    /// with and without feature rows, over sizes, vocabularies and languages.
    @Test(arguments: 1 ... 8)
    func formationMatchesTheReference(seed: Int) {
        // Few tags: many exact ties. Many languages (seed 4, 8): more than 64,
        // so the language sets need several words.
        let languages = seed % 4 == 0 ? (0 ..< 70).map { "l\($0)" } : ["en", "es", "fr"]
        let d = TestSupport.randomDataset(seed: UInt64(seed) * 31, count: 500, vocabulary: [5, 12, 40][seed % 3],
                                          languages: languages, exclusions: 150)
        for size in Self.sizes {
            let input = Inputs(d, groupMax: size.max)
            let settings = Self.settings(size.min, size.max, floors: size.floors)
            for role in [Role.peer, .seeker] {
                let pool = input.pool(role)
                for rows in [true, false] {
                    let context = "seed \(seed), sizes \(size), \(role), rows \(rows)"
                    Self.expectSame(input.fast(settings, rows: rows, pool: pool).form(pool: pool),
                                    input.reference(settings, rows: rows, pool: pool).form(pool: pool), context)
                }
            }
        }
    }

    /// Kept (incumbent) groups come first, take leftovers and are never refined.
    @Test(arguments: 1 ... 4)
    func keptGroupsMatchTheReference(seed: Int) {
        let d = TestSupport.randomDataset(seed: UInt64(seed) * 97, count: 500, vocabulary: 10, exclusions: 100)
        let input = Inputs(d, groupMax: 5)
        let settings = Self.settings(3, 5, floors: seed % 2 == 0)
        for role in [Role.peer, .seeker] {
            let pool = input.pool(role)
            let first = input.reference(settings, rows: true, pool: pool).form(pool: pool)
            // Every third group stays, one member short, so that it has room.
            let kept = stride(from: 0, to: first.groups.count, by: 3).map { n in
                (members: first.groups[n].members.dropLast().map(Int.init), language: first.groups[n].language)
            }
            #expect(!kept.isEmpty)
            Self.expectSame(input.fast(settings, rows: true, pool: pool).form(pool: pool, kept: kept),
                            input.reference(settings, rows: true, pool: pool).form(pool: pool, kept: kept),
                            "seed \(seed), \(role), kept")
        }
    }

    /// The reference's dense and sparse group sums agree, and the refinement
    /// really changes groups on these inputs (so the comparisons above test it).
    @Test func refinementIsExercisedAndSparseSumsAgree() {
        var changed = 0
        for seed in 1 ... 4 {
            let d = TestSupport.randomDataset(seed: UInt64(seed) * 13, count: 500, vocabulary: 12, exclusions: 50)
            let input = Inputs(d, groupMax: 5)
            let settings = Self.settings(3, 5, floors: false)
            let pool = input.pool(.peer)
            let dense = input.reference(settings, rows: true, pool: pool).form(pool: pool)
            let sparse = input.reference(settings, rows: true, pool: pool, sparse: true).form(pool: pool)
            let unrefined = input.reference(settings, rows: false, pool: pool).form(pool: pool)
            Self.expectSame(dense, sparse, "seed \(seed), dense vs sparse sums")
            if dense.groups.map(\.members) != unrefined.groups.map(\.members) { changed += 1 }
            Self.expectSame(input.fast(settings, rows: true, pool: pool).form(pool: pool), dense, "seed \(seed)")
        }
        #expect(changed >= 3, "refinement changed groups in only \(changed) of 4 instances")
    }
}

/// The building blocks of the fast path, each against a plain version.
@Suite struct GroupFastPathPartsTests {
    /// Rows with negative values, explicit zeros and empty rows, to test the
    /// "gather = merge, bit for bit" argument beyond what the vectoriser makes.
    static func randomRows(seed: UInt64, count: Int, dimension: Int) -> [SparseRow] {
        var rng = TestSupport.RNG(seed)
        return (0 ..< count).map { _ in
            let columns = (0 ..< dimension).filter { _ in rng.chance(0.2) }.map(Int32.init)
            let values = columns.map { _ -> Double in
                rng.chance(0.1) ? 0 : (rng.chance(0.3) ? -1 : 1) * Double(rng.next() >> 11) / Double(1 << 53)
            }
            return (columns[...], values[...])
        }
    }

    /// The sorted-row merge that `FeatureSpace.exactScore` performs.
    static func merge(_ a: SparseRow, _ b: SparseRow) -> Double {
        var i = a.columns.startIndex, j = b.columns.startIndex, d = 0.0
        while i < a.columns.endIndex && j < b.columns.endIndex {
            if a.columns[i] == b.columns[j] {
                d += a.values[i] * b.values[j]
                i += 1; j += 1
            } else if a.columns[i] < b.columns[j] { i += 1 } else { j += 1 }
        }
        return d
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func gathersAddTheSameBitsAsMerges(seed: UInt64) {
        let raw = Self.randomRows(seed: seed, count: 60, dimension: 40)
        let rows = FeatureRows(include: [Bool](repeating: true, count: raw.count), dimension: 40) { raw[$0] }
        let scratch = DenseScratch(dimension: rows.dimension)
        let pair = DenseScratch(dimension: rows.dimension, lanes: 2)
        for a in raw.indices {
            scratch.load(a, rows)
            pair.load(a, rows, lane: 1)
            pair.load((a + 1) % raw.count, rows, lane: 0)
            for b in raw.indices {
                #expect(scratch.dot(b, rows).bitPattern == Self.merge(raw[b], raw[a]).bitPattern)
                let (d0, d1) = pair.dots(b, rows)
                #expect(d0.bitPattern == Self.merge(raw[b], raw[(a + 1) % raw.count]).bitPattern)
                #expect(d1.bitPattern == Self.merge(raw[a], raw[b]).bitPattern)
            }
            scratch.unload(a, rows)
            pair.unload(a, rows, lane: 1)
            pair.unload((a + 1) % raw.count, rows, lane: 0)
        }
        #expect((0 ..< rows.dimension).allSatisfy { scratch.slots[$0] == 0 })
        #expect((0 ..< 2 * rows.dimension).allSatisfy { pair.slots[$0] == 0 })
        // A renumbered copy holds the same rows.
        let order = Array(raw.indices.reversed())
        let copy = FeatureRows(copying: rows, people: order)
        for (i, p) in order.enumerated() {
            #expect(Array(copy.columns[copy.entries(i)]) == Array(raw[p].columns))
            #expect(Array(copy.values[copy.entries(i)]) == Array(raw[p].values))
        }
    }

    @Test func pairScorerMatchesTheScoreClosure() {
        let d = TestSupport.randomDataset(seed: 3, count: 120, vocabulary: 8)
        let f = Vectorizer.build(d, weights: .defaults)
        let rows = FeatureRows(include: [Bool](repeating: true, count: d.profiles.count), dimension: f.dimension) { f.row($0) }
        let fast = PairScorer(score: { f.exactScore($0, $1) }, rows: rows)
        let plain = PairScorer(score: { f.exactScore($0, $1) }, rows: nil)
        var rng = TestSupport.RNG(4)
        for _ in 0 ..< 200 {
            let members = (0 ..< 1 + rng.below(8)).map { _ in rng.below(d.profiles.count) }
            let x = rng.below(d.profiles.count)
            #expect(fast.total(x, members).bitPattern == plain.total(x, members).bitPattern)
            #expect(fast.meanPair(members).bitPattern == plain.meanPair(members).bitPattern)
        }
    }

    /// Member lanes against the closure, and the closure fallback when the
    /// lanes would exceed their budget.
    @Test(arguments: [MemberScores.budget, 0])
    func memberScoresMatchTheScoreClosure(budget: Int) {
        let d = TestSupport.randomDataset(seed: 5, count: 120, vocabulary: 8)
        let f = Vectorizer.build(d, weights: .defaults)
        let rows = FeatureRows(include: [Bool](repeating: true, count: d.profiles.count), dimension: f.dimension) { f.row($0) }
        let scores = MemberScores(score: { f.exactScore($0, $1) }, rows: rows, lanes: 6, budget: budget)
        #expect((scores.rows != nil) == (budget > 0))
        var rng = TestSupport.RNG(6)
        for _ in 0 ..< 100 {
            var members: [Int] = []
            for j in 0 ..< 1 + rng.below(6) {
                members.append(rng.below(d.profiles.count))
                scores.join(members[j], at: j)
                let x = rng.below(d.profiles.count)
                #expect(scores.total(x, members).bitPattern == members.reduce(0.0) { $0 + f.exactScore(x, $1) }.bitPattern)
                #expect(scores.score(x, member: members[j], at: j).bitPattern == f.exactScore(x, members[j]).bitPattern)
            }
            scores.clear(members)
        }
    }

    /// Compact group sums against a dense table, through random adds and removals.
    @Test(arguments: [UInt64(5), 6])
    func groupSumsMatchADenseTable(seed: UInt64) {
        let dimension = 30
        let raw = Self.randomRows(seed: seed, count: 80, dimension: dimension)
        let rows = FeatureRows(include: [Bool](repeating: true, count: raw.count), dimension: dimension) { raw[$0] }
        var rng = TestSupport.RNG(seed)
        let groups = (0 ..< 6).map { g in (0 ..< 1 + rng.below(5)).map { _ in g * 10 + rng.below(10) } }
        let scratch = DenseScratch(dimension: dimension)
        var sums = GroupSumVectors(groups: groups, rows: rows, scratch: scratch)
        var dense = ReferenceDenseSums(groups: groups.count, dimension: dimension)
        for g in groups.indices { for m in groups[g] { dense.add(raw[m], to: g, sign: 1) } }
        for step in 0 ..< 300 {
            let p = rng.below(raw.count), g = rng.below(groups.count), sign: Double = rng.chance(0.5) ? 1 : -1
            sums.add(p, rows, to: g, sign: sign)
            dense.add(raw[p], to: g, sign: sign)
            let q = rng.below(raw.count), h = rng.below(groups.count)
            sums.load(h, into: scratch)
            #expect(scratch.dot(q, rows).bitPattern == dense.dot(raw[q], h).bitPattern, "step \(step)")
            sums.unload(h, from: scratch)
        }
        #expect((0 ..< dimension).allSatisfy { scratch.slots[$0] == 0 })
    }

    @Test func languageSetsMatchStringSets() {
        var rng = TestSupport.RNG(8)
        let names = (0 ..< 150).map { "l\($0)" }
        let profiles = (0 ..< 200).map { i in
            Profile(id: "p\(i)", role: .peer,
                    languages: TextNormalization.sortedUnique((0 ..< 1 + rng.below(3)).map { _ in names[rng.below(rng.chance(0.5) ? 4 : 150)] }))
        }
        let masks = LanguageMasks(profiles: profiles, include: [Bool](repeating: true, count: profiles.count))
        #expect(masks.words > 1)
        for _ in 0 ..< 500 {
            let members = (0 ..< 1 + rng.below(4)).map { _ in rng.below(profiles.count) }
            let plus = rng.below(profiles.count)
            let skipping = rng.chance(0.5) ? members[0] : -1
            var common = Set(profiles[plus].languages)
            for m in members where m != skipping { common.formIntersection(profiles[m].languages) }
            #expect(masks.shareOne(members, skipping: skipping, plus: plus) == !common.isEmpty)
            var bits = masks.set(of: members[0])
            for m in members.dropFirst() { masks.intersect(&bits, with: m) }
            let set = members.dropFirst().reduce(Set(profiles[members[0]].languages)) { $0.intersection(profiles[$1].languages) }
            #expect(masks.meets(bits, plus) == !set.isDisjoint(with: profiles[plus].languages))
            #expect(Set(masks.common(members)) == set && masks.common(members).count == set.count)
        }
    }

    @Test func teamTableKeepsMemberOrder() {
        var rng = TestSupport.RNG(2)
        var plain: [[Int]] = [[1, 2, 3], [4, 5], [6], [7, 8, 9, 10]]
        var table = TeamTable(plain, capacity: 6)
        for _ in 0 ..< 200 {
            let from = rng.below(plain.count), to = rng.below(plain.count)
            guard from != to, let m = plain[from].randomElement(using: &rng), plain[to].count < 6 else { continue }
            plain[from].removeAll { $0 == m }
            plain[to].append(m)
            table.remove(m, from: from)
            table.append(m, to: to)
            #expect(plain.indices.allSatisfy { table.team($0).map(Int.init) == plain[$0] })
        }
    }
}

extension TestSupport.RNG: RandomNumberGenerator {}
