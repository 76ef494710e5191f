import Testing
import KindredCore
@testable import KindredSimilarity
import KindredVectorize

/// The similarity core against a naive double-precision O(N²) reference.
@Suite struct SimilarityTests {
    static func rank(_ d: Dataset, weights: BlockWeights = .defaults, k: Int, threads: Int = 2,
                     block: Int = 512, kernel: ColumnSplit.Kernel = .auto) -> RankedMatches {
        let f = Vectorizer.build(d, weights: weights)
        var o = SimilarityEngine.Options(topK: k, threads: threads)
        o.block = block
        o.kernel = kernel
        return SimilarityEngine.rank(d, features: f, rules: CompiledRules(d), options: o).0
    }

    /// Checks every list against the reference: length min(k, eligible), scores
    /// within 1e-5, ranking order, and the same members up to exact ties.
    static func checkAgainstReference(_ d: Dataset, _ m: RankedMatches, weights: BlockWeights, k: Int) {
        let ref = TestSupport.ReferenceScorer(d, weights: weights)
        for i in d.profiles.indices {
            let got = Array(m.candidates(of: i))
            guard d.profiles[i].active else {
                #expect(got.isEmpty)
                continue
            }
            let (expected, eligible) = ref.topK(i, k: k)
            #expect(got.count == min(k, eligible), "profile \(i)")
            guard got.count == expected.count else { continue }
            for (r, c) in got.enumerated() {
                #expect(abs(c.score.value - expected[r].score) <= 1e-5, "profile \(i) rank \(r)")
                #expect(abs(c.score.value - ref.score(i, Int(c.index))) <= 1e-5)
                if r > 0 { #expect(Candidate.ranksBefore(got[r - 1], c)) }
            }
            if let last = expected.last {
                let ids = Set(got.map { Int($0.index) })
                for e in expected where e.score > last.score + 1e-5 { #expect(ids.contains(e.index), "profile \(i) misses \(e.index)") }
            }
        }
    }

    @Test(arguments: [(UInt64(1), 1), (2, 3), (3, 10), (4, 5), (5, 40)])
    func topKEqualsTheNaiveReference(seed: UInt64, k: Int) {
        let d = TestSupport.randomDataset(seed: seed, count: 300)
        let m = Self.rank(d, k: k)
        Self.checkAgainstReference(d, m, weights: .defaults, k: k)
    }

    @Test(arguments: [UInt64(11), 12])
    func tagsOnlyWeightsGiveTheTagCosine(seed: UInt64) {
        let w = BlockWeights(tags: 1, availability: 0, age: 0, region: 0)
        let d = TestSupport.randomDataset(seed: seed, count: 250, vocabulary: 8)
        Self.checkAgainstReference(d, Self.rank(d, weights: w, k: 7), weights: w, k: 7)
    }

    @Test func smallBlocksExerciseEdgesAndSkippingWithTheSameResult() {
        let d = TestSupport.randomDataset(seed: 21, count: 400, languages: ["en", "es", "fr", "de", "ar", "zh"])
        let big = Self.rank(d, k: 6)
        let small = Self.rank(d, k: 6, block: 13)
        #expect(big == small)
        Self.checkAgainstReference(d, small, weights: .defaults, k: 6)
    }

    @Test(arguments: ColumnSplit.Kernel.allCases, [8, 64, 4096])
    func everyKernelAndBlockSizeGivesTheReferenceResult(kernel: ColumnSplit.Kernel, block: Int) {
        let d = TestSupport.randomDataset(seed: 77, count: 350, vocabulary: 30)
        let m = Self.rank(d, k: 8, block: block, kernel: kernel)
        #expect(m == Self.rank(d, k: 8))
        Self.checkAgainstReference(d, m, weights: .defaults, k: 8)
    }

    @Test func sameRoleTaskRanksSeekersAmongSeekersUnderTheGroupRules() {
        let d = TestSupport.randomDataset(seed: 88, count: 300)
        let f = Vectorizer.build(d, weights: .defaults)
        var o = SimilarityEngine.Options(topK: 6, threads: 2)
        o.block = 16
        let (results, _) = SimilarityEngine.rank(d, features: f, rules: CompiledRules(d),
                                                 tasks: [.init(.seeker, .seeker, k: 6)], options: o)
        let ref = TestSupport.ReferenceScorer(d, weights: .defaults)
        let excluded = Set(d.exclusions.map(\.key))
        for i in d.profiles.indices where d.profiles[i].role == .seeker && d.profiles[i].active {
            var all: [(Int, Int32)] = []
            for j in d.profiles.indices where j != i {
                let v = HardRules.violation(d.profiles[i], d.profiles[j], sameIndex: false,
                                            excluded: excluded.contains(ExclusionPair(Int32(i), Int32(j)).key), context: .grouping)
                let s = Score(ref.score(i, j))
                if v == nil && s.micro > 0 { all.append((j, s.micro)) }
            }
            all.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            let got = results[0].forward.candidates(of: i).map { (Int($0.index), $0.score.micro) }
            #expect(got.count == min(6, all.count))
            for (g, e) in zip(got, all) { #expect(abs(g.1 - e.1) <= 10, "seeker \(i)") }
        }
    }

    @Test func resultsDoNotDependOnThreadCount() {
        let d = TestSupport.randomDataset(seed: 31, count: 500)
        let one = Self.rank(d, k: 10, threads: 1, block: 32)
        let two = Self.rank(d, k: 10, threads: 2, block: 32)
        let four = Self.rank(d, k: 10, threads: 4, block: 32)
        #expect(one == two)
        #expect(one == four)
    }

    @Test func exactTiesAreBrokenByIdAscending() {
        // Identical profiles: every candidate of p0 scores the same.
        let ps = (0 ..< 30).map { Profile(id: String(format: "x%02d", 29 - $0), role: .peer, languages: ["en"]) }
            .sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        let tags = Array(repeating: [TagWeight(tag: 0, weight: 1)], count: 30)
        let d = Dataset(profiles: ps, tags: tags, tagNames: ["grief"], exclusions: [])
        let m = Self.rank(d, k: 5, block: 8)
        #expect(m.candidates(of: 0).map { ps[Int($0.index)].id } == ["x01", "x02", "x03", "x04", "x05"])
        #expect(m.candidates(of: 29).map { ps[Int($0.index)].id } == ["x00", "x01", "x02", "x03", "x04"])
        // Default weights: only the tag block (0.7) is present, and it is identical.
        #expect(m.candidates(of: 0).allSatisfy { $0.score == Score(micro: 700_000) })
    }

    @Test func compiledRulesAgreeWithTheReadableRules() {
        // 100 languages forces the overflow bit path too.
        let langs = (0 ..< 100).map { "l\($0)" }
        for (seed, languages) in [(UInt64(41), ["en", "es"]), (42, langs)] {
            let d = TestSupport.randomDataset(seed: seed, count: 200, languages: languages, exclusions: 300)
            let compiled = CompiledRules(d)
            let excluded = Set(d.exclusions.map(\.key))
            for i in d.profiles.indices {
                for j in d.profiles.indices where i != j {
                    let v = HardRules.violation(d.profiles[i], d.profiles[j], sameIndex: false,
                                                excluded: excluded.contains(ExclusionPair(Int32(i), Int32(j)).key),
                                                context: .grouping)
                    let relevant = v == nil || (v != .roles && v != .inactive)
                    if relevant { #expect(compiled.allows(i, j) == (v == nil), "pair \(i) \(j)") }
                }
            }
        }
    }
}

/// Each hard rule of contract §3, on a pair that would otherwise match.
@Suite struct HardRuleTests {
    static func profile(_ id: String, _ role: Role = .peer, langs: [String] = ["en"], age: AgeBand? = .from25to34,
                        gender: String? = "woman", pref: GenderPreference = .any, active: Bool = true) -> Profile {
        Profile(id: id, role: role, languages: langs, ageBand: age, gender: gender, genderPreference: pref, active: active)
    }

    /// Ranks two profiles that share a tag; returns a's list and the reason if empty.
    static func pair(_ a: Profile, _ b: Profile, excluded: Bool = false) -> (ids: [Int32], reason: String?) {
        let d = Dataset(profiles: [a, b], tags: [[TagWeight(tag: 0, weight: 1)], [TagWeight(tag: 0, weight: 1)]],
                        tagNames: ["grief"], exclusions: excluded ? [ExclusionPair(0, 1)] : [])
        let f = Vectorizer.build(d, weights: .defaults)
        let m = SimilarityEngine.rank(d, features: f, rules: CompiledRules(d), options: .init(topK: 5, threads: 1)).0
        let ids = m.candidates(of: 0).map(\.index)
        return (ids, ids.isEmpty && a.active ? RankingDiagnostics(dataset: d, rules: CompiledRules(d)).reason(for: 0) : nil)
    }

    @Test func baselinePairMatches() {
        #expect(Self.pair(Self.profile("a"), Self.profile("b")).ids == [1])
        #expect(Self.pair(Self.profile("a", .seeker), Self.profile("b", .supporter)).ids == [1])
    }

    @Test func rolesDoNotCross() {
        #expect(Self.pair(Self.profile("a", .seeker), Self.profile("b", .seeker)).ids.isEmpty)
        #expect(Self.pair(Self.profile("a", .peer), Self.profile("b", .supporter)).ids.isEmpty)
        #expect(Self.pair(Self.profile("a", .supporter), Self.profile("b", .supporter)).ids.isEmpty)
    }

    @Test func languageMustBeShared() {
        let r = Self.pair(Self.profile("a", langs: ["en"]), Self.profile("b", langs: ["es"]))
        #expect(r.ids.isEmpty)
        #expect(r.reason?.contains("language") == true)
        #expect(Self.pair(Self.profile("a", langs: ["en", "fr"]), Self.profile("b", langs: ["es", "fr"])).ids == [1])
    }

    @Test func minorsOnlyWithMinors() {
        let r = Self.pair(Self.profile("a", age: .under18), Self.profile("b", age: .from18to24))
        #expect(r.ids.isEmpty)
        #expect(r.reason?.contains("safeguarding") == true)
        #expect(Self.pair(Self.profile("a", age: .under18), Self.profile("b", age: nil)).ids.isEmpty)
        #expect(Self.pair(Self.profile("a", age: nil), Self.profile("b", age: .under18)).ids.isEmpty)
        #expect(Self.pair(Self.profile("a", age: .under18), Self.profile("b", age: .under18)).ids == [1])
        #expect(Self.pair(Self.profile("a", age: nil), Self.profile("b", age: nil)).ids == [1])
    }

    @Test func sameGenderPreferenceOnEitherSide() {
        #expect(Self.pair(Self.profile("a", pref: .same), Self.profile("b", gender: "man")).ids.isEmpty)
        #expect(Self.pair(Self.profile("a"), Self.profile("b", gender: "man", pref: .same)).ids.isEmpty)
        #expect(Self.pair(Self.profile("a", pref: .same), Self.profile("b")).ids == [1])
        let r = Self.pair(Self.profile("a", gender: nil, pref: .same), Self.profile("b", gender: nil))
        #expect(r.ids.isEmpty)
        #expect(r.reason?.contains("gender") == true)
    }

    @Test func exclusionsBlockBothWays() {
        let r = Self.pair(Self.profile("a"), Self.profile("b"), excluded: true)
        #expect(r.ids.isEmpty)
        #expect(r.reason?.contains("excluded") == true)
    }

    @Test func inactiveProfilesAppearNowhere() {
        #expect(Self.pair(Self.profile("a"), Self.profile("b", active: false)).ids.isEmpty)
        #expect(Self.pair(Self.profile("a", active: false), Self.profile("b")).ids.isEmpty)
    }

    @Test func nothingInCommonMeansNoCandidate() {
        let a = Self.profile("a", age: nil), b = Self.profile("b", age: nil)
        let d = Dataset(profiles: [a, b], tags: [[TagWeight(tag: 0, weight: 1)], [TagWeight(tag: 1, weight: 1)]],
                        tagNames: ["x", "y"], exclusions: [])
        let f = Vectorizer.build(d, weights: .defaults)
        let m = SimilarityEngine.rank(d, features: f, rules: CompiledRules(d), options: .init(topK: 5, threads: 1)).0
        #expect(m.candidates(of: 0).isEmpty)
        #expect(RankingDiagnostics(dataset: d, rules: CompiledRules(d)).reason(for: 0).contains("nothing in common"))
    }

    /// The one-pass diagnosis against the plain filter chain on the readable
    /// rules: for every active profile of random populations (minors, gender
    /// preferences and exclusions, so that every rule is the first to leave
    /// nobody somewhere; a few with more than 63 languages), both name the
    /// same rule.
    @Test func diagnosisNamesTheFirstRuleThatLeavesNobody() {
        func stage(of reason: String) -> Int {
            if reason.contains("no other active") { return -1 }
            if reason.contains("safeguarding") { return 1 }
            if reason.contains("shares a language") { return 0 }
            if reason.contains("gender") { return 2 }
            if reason.contains("excluded") { return 3 }
            if reason.contains("nothing in common") { return 4 }
            Issue.record("unexpected reason: \(reason)")
            return -2
        }
        var seen = Set<Int>()
        // Seeds 1-40: small populations over 6 languages; 41-44: 150 people
        // over 80 languages, so that some speak a language beyond the 63
        // with mask bits (the exact language check).
        for seed: UInt64 in 1 ... 44 {
            let languages = (0 ..< (seed > 40 ? 80 : 6)).map { "l\($0)" }
            let d = TestSupport.randomDataset(seed: seed, count: seed > 40 ? 150 : 6 + Int(seed % 9),
                                              languages: languages, exclusions: 12)
            let diagnostics = RankingDiagnostics(dataset: d, rules: CompiledRules(d))
            let excluded = Set(d.exclusions.map(\.key))
            for i in d.profiles.indices where d.profiles[i].active {
                let me = d.profiles[i]
                // The reference: filter the partner role's profiles rule by rule.
                var pool = d.profiles.indices.filter { $0 != i && d.profiles[$0].active && d.profiles[$0].role == me.role.partnerRole }
                var expected = -1
                let rules: [(Int) -> Bool] = [
                    { HardRules.shareLanguage(me.languages, d.profiles[$0].languages) },
                    { HardRules.safeguardingAllows(me, d.profiles[$0]) },
                    { HardRules.genderAllows(me, d.profiles[$0]) },
                    { !excluded.contains(ExclusionPair(Int32(i), Int32($0)).key) },
                ]
                if !pool.isEmpty {
                    expected = 4
                    for (n, rule) in rules.enumerated() {
                        pool = pool.filter(rule)
                        if pool.isEmpty { expected = n; break }
                    }
                }
                #expect(stage(of: diagnostics.reason(for: i)) == expected, "seed \(seed), profile \(i)")
                seen.insert(expected)
            }
        }
        #expect(seen == [-1, 0, 1, 2, 3, 4], "every outcome occurs: \(seen.sorted())")
    }

    /// The batch diagnosis shares one diagnosis among profiles the rules
    /// cannot tell apart; it must equal one diagnosis per profile, including
    /// for peers (a peer is absent from its own pool but present in its
    /// twin's). Populations from 4 to 43 people over 4 languages, so that
    /// twins are common (asserted) and some roles are nearly empty.
    @Test func batchedDiagnosisEqualsOnePerProfile() {
        var twins = 0, ruleTwins = 0
        for seed: UInt64 in 1 ... 40 {
            let d = TestSupport.randomDataset(seed: seed, count: 4 + Int(seed), languages: ["l0", "l1", "l2", "l3"],
                                              exclusions: 3)
            let diagnostics = RankingDiagnostics(dataset: d, rules: CompiledRules(d))
            let active = d.profiles.indices.filter { d.profiles[$0].active }
            let batch = diagnostics.reasons(for: active)
            #expect(batch == active.map { diagnostics.reason(for: $0) }, "seed \(seed)")
            // Twins by the readable attributes, among profiles without
            // exclusions: those whose shared reason names a rule (not "nothing
            // in common"), and those that are peers (each in the other's pool).
            let excluded = Set(d.exclusions.flatMap { [Int($0.a), Int($0.b)] })
            var seen = Set<String>()
            for (n, i) in active.enumerated() where !excluded.contains(i) {
                let p = d.profiles[i]
                let key = "\(p.role) \(p.languages) \(p.isMinor) \(p.gender ?? "-") \(p.genderPreference)"
                guard !seen.insert(key).inserted else { continue }
                twins += 1
                if !batch[n].contains("nothing in common") { ruleTwins += 1 }
            }
        }
        #expect(twins > 50, "twins: \(twins)")
        #expect(ruleTwins > 0, "twins whose reason names a rule: \(ruleTwins)")

        // Hand-made twins: two peers who ask for the same gender and have
        // none (each is the other's only peer: rule 5 leaves nobody), two
        // under-18 seekers with only adult supporters (rule 4), and an adult
        // peer alone among under-18 peers, next to an inactive twin.
        let people = [
            Self.profile("a", .peer, langs: ["zz"], gender: nil, pref: .same),
            Self.profile("b", .peer, langs: ["zz"], gender: nil, pref: .same),
            Self.profile("c", .seeker, age: .under18), Self.profile("d", .seeker, age: .under18),
            Self.profile("e", .supporter), Self.profile("f", .peer, langs: ["yy"], age: .under18),
            Self.profile("g", .peer, langs: ["yy"]), Self.profile("h", .peer, langs: ["yy"], active: false),
        ]
        let d = Dataset(profiles: people, tags: people.map { _ in [] }, tagNames: [], exclusions: [])
        let diagnostics = RankingDiagnostics(dataset: d, rules: CompiledRules(d))
        let order = [7, 0, 1, 2, 3, 6, 5]  // the inactive twin first
        let batch = diagnostics.reasons(for: order)
        #expect(batch == order.map { diagnostics.reason(for: $0) })
        #expect(batch[1].contains("needs a gender") && batch[2].contains("needs a gender"))
        #expect(batch[3].contains("safeguarding") && batch[4].contains("safeguarding"))
        #expect(batch[5].contains("safeguarding"), "the active adult peer among under-18 peers: \(batch[5])")
    }

    /// The kernel's 8-lane rule test against the readable rules (rules 3-6),
    /// over every pair of a population with 40 languages, so that languages
    /// share folded bits and some sit behind the overflow bit: it must never
    /// reject an allowed pair, and must be exact wherever neither row carries
    /// `exactCheck`. Vector and scalar forms must agree lane for lane.
    @Test func ruleLanesNeverRejectAnAllowedPairAndAreExactUnlessFlagged() {
        let languages = (0 ..< 40).map { String(format: "l%02d", $0) }
        let d = TestSupport.randomDataset(seed: 5, count: 160, languages: languages, exclusions: 30)
        let rules = CompiledRules(d)
        let rows = d.profiles.indices.map(Int32.init)
        let lanes = RuleLanes(rows: rows, rules: rules)
        let excluded = Set(d.exclusions.map(\.key))
        var exactPairs = 0, flaggedPairs = 0
        for i in rows.indices {
            let query = RuleLanes.Query(lanes, row: i)
            var j = 0
            while j + 8 <= rows.count {
                let vector = lanes.language.withUnsafeBufferPointer { l in
                    lanes.gender.withUnsafeBufferPointer { g in
                        lanes.flags.withUnsafeBufferPointer { f in
                            RuleLanes.admitted(query, language: l.baseAddress! + j, gender: g.baseAddress! + j,
                                               flags: f.baseAddress! + j)
                        }
                    }
                }
                for lane in 0 ..< 8 {
                    let c = j + lane
                    let a = d.profiles[i], b = d.profiles[c]
                    let allowed = HardRules.shareLanguage(a.languages, b.languages) && HardRules.safeguardingAllows(a, b)
                        && HardRules.genderAllows(a, b) && !excluded.contains(ExclusionPair(Int32(i), Int32(c)).key)
                    let admitted = vector[lane] == -1
                    #expect(vector[lane] == 0 || vector[lane] == -1)
                    #expect(admitted == RuleLanes.admits(lanes, i, lanes, c), "pair \(i), \(c)")
                    if allowed { #expect(admitted, "pair \(i), \(c) is allowed but was rejected") }
                    if (lanes.flags[i] | lanes.flags[c]) & RuleLanes.exactCheck == 0 {
                        exactPairs += 1
                        #expect(admitted == allowed, "pair \(i), \(c)")
                    } else {
                        flaggedPairs += 1
                        if i != c { #expect(rules.allows(i, c) == allowed, "pair \(i), \(c)") }
                    }
                }
                j += 8
            }
        }
        #expect(exactPairs > 1000 && flaggedPairs > 1000)
    }

    /// Block masks may only skip what holds no allowed pair: for random blocks
    /// (by the class order, 5 rows each), every block pair with an allowed
    /// pair must be compatible and every row with a partner in a block must be
    /// admitted by it. Some pairs must also be skipped, or the test proves nothing.
    @Test func blockMasksNeverSkipAnAllowedPair() {
        let d = TestSupport.randomDataset(seed: 9, count: 240, languages: ["en", "es", "fr", "de"], exclusions: 0)
        let rules = CompiledRules(d)
        let f = Vectorizer.build(d, weights: .defaults)
        let peers = d.profiles.indices.filter { d.profiles[$0].active && d.profiles[$0].role == .peer }.map(Int32.init)
        let split = ColumnSplit(features: f, activeRows: peers.count, kernel: .sparse, threshold: 0.15)
        let rc = RowClass(members: peers, features: f, split: split, rules: rules, block: 5)
        var skippedBlocks = 0, skippedRows = 0
        for x in 0 ..< rc.blockCount {
            for y in 0 ..< rc.blockCount {
                let anyAllowed = rc.blockRange(x).contains { i in
                    rc.blockRange(y).contains { j in i != j && rules.allows(Int(rc.rows[i]), Int(rc.rows[j])) }
                }
                let compatible = BlockMask.compatible(rc.blockMasks[x], rc.blockMasks[y])
                if anyAllowed { #expect(compatible, "blocks \(x), \(y)") }
                if !compatible { skippedBlocks += 1 }
                for i in rc.blockRange(x) {
                    let partner = rc.blockRange(y).contains { j in i != j && rules.allows(Int(rc.rows[i]), Int(rc.rows[j])) }
                    let admitted = rc.blockMasks[y].admits(rc.lanes, row: i)
                    if partner { #expect(admitted, "row \(i), block \(y)") }
                    if !admitted { skippedRows += 1 }
                }
            }
        }
        #expect(skippedBlocks > 0 && skippedRows > 0)
    }
}

/// The heaps with a reserve against a naive sort of everything offered.
@Suite struct TopKHeapsTests {
    /// After any order of offers: the heap part is the top k of all offered
    /// keys, and every key that is both among the top k + reserve and within
    /// the margin of the final k-th best is still kept (what the exact
    /// rescoring needs). Scores are drawn from a narrow range so that many
    /// keys tie or fall within the margin.
    @Test(arguments: [(UInt64(1), 10, 8, Int32(3)), (2, 10, 8, 0), (3, 1, 2, 5), (4, 5, 0, 4), (5, 20, 8, 40)])
    func keepsTheTopKAndEveryNearMissTheRescoringNeeds(seed: UInt64, k: Int, reserve: Int, margin: Int32) {
        var mix = TestSupport.RNG(seed)
        let rows = 40
        let heaps = TopKHeaps(rows: rows, k: k, reserve: reserve, margin: margin)
        var offered = [[UInt64]](repeating: [], count: rows)
        for row in 0 ..< rows {
            let count = Int(mix.next() % 300)
            let spread = 1 + mix.next() % 60  // micro scores in a narrow band
            for index in 0 ..< count {
                let micro = Int32(500_000 + mix.next() % spread)
                let key = TopKHeaps.key(micro: micro, index: Int32(index))
                offered[row].append(key)
                // The engine only offers what `matters` lets through.
                if heaps.matters(row, key) { heaps.offer(row, key) }
            }
        }
        for row in 0 ..< rows {
            let all = offered[row].sorted(by: >)
            let kept = Set(heaps.keys(row))
            #expect(kept.count <= k + reserve)
            #expect(Set(all.prefix(k)).isSubset(of: kept), "row \(row): heap is not the top k")
            guard all.count >= k else {
                #expect(kept == Set(all))
                continue
            }
            let floor = TopKHeaps.micro(of: all[k - 1]) - margin
            let needed = all.prefix(k + reserve).filter { TopKHeaps.micro(of: $0) >= floor }
            #expect(Set(needed).isSubset(of: kept), "row \(row): a near miss was dropped")
            #expect(kept.isSubset(of: Set(all)))
        }
    }

    /// The margin covers the float error of real dot products: unit vectors,
    /// values rounded to float and summed one by one in float (the loosest
    /// order), against the same dot product in double. Random rows err like
    /// √n·u; rows with every component equal make every rounding go the same
    /// way, closer to the worst case n·u.
    @Test(arguments: [8, 124, 316, 2_060])
    func marginCoversFloatErrorOfUnitVectorDotProducts(dimension: Int) {
        var mix = TestSupport.RNG(UInt64(dimension))
        let margin = HeapSet.margin(terms: dimension)
        func error(_ a: [Double], _ b: [Double]) -> Double {
            var exact = 0.0, single: Float = 0
            for i in 0 ..< dimension {
                exact += a[i] * b[i]
                single += Float(a[i]) * Float(b[i])
            }
            return abs(Double(single) - exact)
        }
        func normalised(_ v: [Double]) -> [Double] {
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
        var worst = 0.0
        for _ in 0 ..< 200 {
            // Non-negative and skewed like TF-IDF rows.
            func row() -> [Double] {
                normalised((0 ..< dimension).map { _ in Double(mix.next() % 1000) / 1000 * Double(mix.next() % 4 == 0 ? 1 : 0) + 1e-3 })
            }
            worst = max(worst, error(row(), row()))
        }
        for c in [1.0, 3.0, 7.0] {  // equal components, rounding alike
            let a = normalised([Double](repeating: c, count: dimension))
            worst = max(worst, error(a, a))
        }
        // Two scores' errors and a micro of rounding each must fit in the
        // margin, and the margin must keep to the proved bound it is built on.
        #expect(2 * worst * 1_000_000 + 2 < Double(margin), "dimension \(dimension): error \(worst), margin \(margin)")
        let bound = 2 * Double(dimension + 2) * 0x1p-24 * 1_000_000 + 2
        #expect(Double(margin) >= bound, "dimension \(dimension): margin \(margin) below the bound \(bound)")
        #expect(margin < 1_000, "the margin stays far below typical score gaps")
    }
}
