import Testing
import KindredCore
@testable import KindredDecide

/// Assignments and peer pairs against brute force and the contract's stability rule.
@Suite struct DecideTests {
    /// A random bipartite or peer instance: profiles and a graph of scores.
    static func instance(seed: UInt64, seekers: Int, supporters: Int, peers: Int, density: Double,
                         scoreLevels: Int = 5) -> ([Profile], RankedMatches) {
        var rng = TestSupport.RNG(seed)
        var profiles: [Profile] = []
        for i in 0 ..< seekers { profiles.append(Profile(id: "a\(i)", role: .seeker, languages: ["en"])) }
        for i in 0 ..< supporters {
            profiles.append(Profile(id: "b\(i)", role: .supporter, languages: ["en"], capacity: rng.below(3)))
        }
        for i in 0 ..< peers { profiles.append(Profile(id: "c\(i)", role: .peer, languages: ["en"])) }
        var lists = [[Candidate]](repeating: [], count: profiles.count)
        for i in profiles.indices {
            for j in profiles.indices where j > i && HardRules.rolesCompatible(profiles[i].role, profiles[j].role, .pairing) {
                guard rng.chance(density) else { continue }
                // Few score levels make ties common.
                let s = Score(micro: Int32(100_000 * (1 + rng.below(scoreLevels))))
                lists[i].append(Candidate(index: Int32(j), score: s))
            }
            lists[i].sort(by: Candidate.ranksBefore)
        }
        return (profiles, RankedMatches(lists: lists))
    }

    /// The contract's blocking-pair test, written out independently.
    static func blockingPairs(_ p: [Profile], _ graph: CandidateGraph, _ assigned: [Assignment]) -> Int {
        var partners = [[Int32]](repeating: [], count: p.count)
        for a in assigned {
            partners[Int(a.profile)].append(Int32(a.score.micro))
            partners[Int(a.partner)].append(Int32(a.score.micro))
        }
        func wouldTake(_ x: Int, _ s: Int32) -> Bool {
            let cap = p[x].role == .supporter ? p[x].capacity : 1
            return partners[x].count < cap || partners[x].contains { $0 < s }
        }
        var n = 0
        for x in p.indices {
            for c in graph.neighbours[x] where Int(c.index) > x {
                if wouldTake(x, c.score.micro) && wouldTake(Int(c.index), c.score.micro) { n += 1 }
            }
        }
        return n
    }

    /// The compressed neighbour lists equal a reference built with one
    /// dictionary per profile (partner → score, both directions), sorted in
    /// ranking order; with empty lists, self-pairs and pairs listed from
    /// both sides.
    @Test(arguments: [UInt64(1), 2, 3])
    func candidateGraphEqualsADictionaryReference(seed: UInt64) {
        var rng = TestSupport.RNG(seed)
        let n = 80
        // Symmetric, with few levels: ties are common.
        func score(_ a: Int, _ b: Int) -> Score { Score(micro: Int32(50_000 * (1 + (a * b + a + b) % 7))) }
        var lists = [[Candidate]](repeating: [], count: n)
        for i in 0 ..< n where !rng.chance(0.2) {
            var partners = Set<Int>()
            for _ in 0 ..< rng.below(12) { partners.insert(rng.below(n)) }
            lists[i] = partners.map { Candidate(index: Int32($0), score: score(i, $0)) }.sorted(by: Candidate.ranksBefore)
        }
        let graph = CandidateGraph(RankedMatches(lists: lists))
        var reference = [[Int32: Score]](repeating: [:], count: n)
        for i in 0 ..< n {
            for c in lists[i] {
                reference[i][c.index] = c.score
                reference[Int(c.index)][Int32(i)] = c.score
            }
        }
        var edges = 0
        for i in 0 ..< n {
            let want = reference[i].map { Candidate(index: $0.key, score: $0.value) }.sorted(by: Candidate.ranksBefore)
            let got = graph.neighbours[i]
            #expect(Array(got) == want, "profile \(i)")
            #expect(got.count == want.count && (0 ..< got.count).allSatisfy { got[$0] == want[$0] })
            edges += got.count
        }
        #expect(edges > n)
    }

    @Test(arguments: 1 ... 30)
    func supportAssignmentIsStableAndWithinCapacity(seed: Int) {
        let (p, m) = Self.instance(seed: UInt64(seed), seekers: 40, supporters: 12, peers: 0, density: 0.3)
        let g = CandidateGraph(m)
        let a = StableAssignment.assign(profiles: p, graph: g)
        #expect(Self.blockingPairs(p, g, a) == 0)
        #expect(BlockingPairs.count(profiles: p, graph: g, support: a, peers: []) == 0)
        var load = [Int](repeating: 0, count: p.count)
        for x in a {
            load[Int(x.partner)] += 1
            load[Int(x.profile)] += 1
            #expect(g.score(Int(x.profile), Int(x.partner)) == x.score)
        }
        for i in p.indices {
            #expect(load[i] <= (p[i].role == .supporter ? p[i].capacity : 1))
        }
    }

    @Test(arguments: 1 ... 30)
    func peerPairsAreStable(seed: Int) {
        let (p, m) = Self.instance(seed: UInt64(seed), seekers: 0, supporters: 0, peers: 40, density: 0.2)
        let g = CandidateGraph(m)
        let pairs = PeerPairing.pair(profiles: p, graph: g)
        #expect(Self.blockingPairs(p, g, pairs) == 0)
        var seen = Set<Int32>()
        for x in pairs {
            #expect(x.profile < x.partner)
            #expect(seen.insert(x.profile).inserted && seen.insert(x.partner).inserted)
        }
    }

    /// Blocking pairs under the strict preferences the engine uses (score, then
    /// id): with ties broken this way, stable matchings form a lattice with a
    /// seeker-optimal element, which deferred acceptance must return.
    static func strictBlockingPairs(_ p: [Profile], _ graph: CandidateGraph, _ assigned: [Assignment]) -> Int {
        var held = [[Candidate]](repeating: [], count: p.count)
        for a in assigned {
            held[Int(a.profile)].append(Candidate(index: a.partner, score: a.score))
            held[Int(a.partner)].append(Candidate(index: a.profile, score: a.score))
        }
        func wouldTake(_ x: Int, _ offer: Candidate) -> Bool {
            let cap = p[x].role == .supporter ? p[x].capacity : 1
            if held[x].count < cap { return true }
            return held[x].contains { Candidate.ranksBefore(offer, $0) }
        }
        var n = 0
        for s in p.indices where p[s].role == .seeker {
            for c in graph.neighbours[s] where !held[s].contains(where: { $0.index == c.index }) {
                if wouldTake(s, c) && wouldTake(Int(c.index), Candidate(index: Int32(s), score: c.score)) { n += 1 }
            }
        }
        return n
    }

    /// On tiny instances, enumerate every feasible assignment: the engine's must
    /// be stable, and no stable assignment (strict preferences) may be better
    /// for any seeker (seeker-optimal, as deferred acceptance promises).
    @Test(arguments: 1 ... 25)
    func supportAssignmentIsTheSeekerOptimalStableOne(seed: Int) {
        let (p, m) = Self.instance(seed: UInt64(seed) + 100, seekers: 5, supporters: 3, peers: 0, density: 0.6, scoreLevels: 3)
        let g = CandidateGraph(m)
        let engine = StableAssignment.assign(profiles: p, graph: g)
        let seekers = p.indices.filter { p[$0].role == .seeker }
        let all = Self.allFeasible(p, g)
        let stable = all.filter { Self.strictBlockingPairs(p, g, $0) == 0 }
        #expect(!stable.isEmpty)
        #expect(Self.strictBlockingPairs(p, g, engine) == 0)
        #expect(Self.blockingPairs(p, g, engine) == 0)
        func rankOf(_ a: [Assignment], _ s: Int) -> Candidate? {
            a.first { Int($0.profile) == s }.map { Candidate(index: $0.partner, score: $0.score) }
        }
        for other in stable {
            for s in seekers {
                guard let theirs = rankOf(other, s) else { continue }
                // The engine's partner for s is at least as good as in any stable assignment.
                if let mine = rankOf(engine, s) {
                    #expect(!Candidate.ranksBefore(theirs, mine), "seeker \(s) does better elsewhere")
                } else {
                    Issue.record("seeker \(s) unassigned but assigned in a stable alternative")
                }
            }
        }
    }

    /// Every feasible support assignment of a tiny instance.
    static func allFeasible(_ p: [Profile], _ g: CandidateGraph) -> [[Assignment]] {
        let seekers = p.indices.filter { p[$0].role == .seeker }
        var all: [[Assignment]] = []
        func search(_ k: Int, _ current: [Assignment], _ load: [Int: Int]) {
            if k == seekers.count { all.append(current); return }
            let s = seekers[k]
            search(k + 1, current, load)
            for c in g.neighbours[s] where (load[Int(c.index)] ?? 0) < p[Int(c.index)].capacity {
                var l = load
                l[Int(c.index), default: 0] += 1
                search(k + 1, current + [Assignment(kind: .support, profile: Int32(s), partner: c.index, score: c.score)], l)
            }
        }
        search(0, [], [:])
        return all
    }

    static func total(_ a: [Assignment]) -> Int { a.reduce(0) { $0 + Int($1.score.micro) } }

    @Test(arguments: 1 ... 40)
    func optimalModeReachesTheExhaustiveMaximum(seed: Int) {
        let (p, m) = Self.instance(seed: UInt64(seed) + 500, seekers: 6, supporters: 3, peers: 0, density: 0.5, scoreLevels: 7)
        let g = CandidateGraph(m)
        let best = Self.allFeasible(p, g).map(Self.total).max() ?? 0
        let engine = FlowAssignment.assign(profiles: p, graph: g, mode: .optimal)
        #expect(Self.total(engine) == best)
        Self.expectFeasible(p, g, engine)
    }

    @Test(arguments: 1 ... 40)
    func coverageModeAssignsTheMostSeekersThenTheHighestTotal(seed: Int) {
        let (p, m) = Self.instance(seed: UInt64(seed) + 900, seekers: 6, supporters: 3, peers: 0, density: 0.4, scoreLevels: 7)
        let g = CandidateGraph(m)
        let all = Self.allFeasible(p, g)
        let most = all.map(\.count).max() ?? 0
        let best = all.filter { $0.count == most }.map(Self.total).max() ?? 0
        let engine = FlowAssignment.assign(profiles: p, graph: g, mode: .coverage)
        #expect(engine.count == most)
        #expect(Self.total(engine) == best)
        Self.expectFeasible(p, g, engine)
    }

    static func expectFeasible(_ p: [Profile], _ g: CandidateGraph, _ a: [Assignment]) {
        var load = [Int](repeating: 0, count: p.count)
        for x in a {
            load[Int(x.profile)] += 1
            load[Int(x.partner)] += 1
            #expect(g.score(Int(x.profile), Int(x.partner)) == x.score)
            #expect(p[Int(x.profile)].role == .seeker && p[Int(x.partner)].role == .supporter)
        }
        for i in p.indices { #expect(load[i] <= (p[i].role == .supporter ? p[i].capacity : 1)) }
    }

    @Test func unmatchedReasonsNameTheCause() {
        let p = [
            Profile(id: "s1", role: .seeker, languages: ["en"]),
            Profile(id: "s2", role: .seeker, languages: ["en"]),
            Profile(id: "s3", role: .seeker, languages: ["en"]),
            Profile(id: "u1", role: .supporter, languages: ["en"], capacity: 1),
            Profile(id: "u2", role: .supporter, languages: ["en"], capacity: 0),
        ]
        let hi = Score(micro: 900_000), lo = Score(micro: 100_000)
        let m = RankedMatches(lists: [
            [Candidate(index: 3, score: hi)], [Candidate(index: 3, score: lo)], [Candidate(index: 4, score: hi)], [], [],
        ])
        let g = CandidateGraph(m)
        let a = StableAssignment.assign(profiles: p, graph: g)
        #expect(a.map { [$0.profile, $0.partner] } == [[0, 3]])
        let u = AssignmentReasons.unmatched(profiles: p, graph: g, assignments: a)
        let reasons = Dictionary(uniqueKeysWithValues: u.map { (p[Int($0.profile)].id, $0.reason) })
        #expect(reasons["s2"]?.contains("at capacity") == true)
        #expect(reasons["s3"]?.contains("capacity 0") == true)
        #expect(reasons["u2"]?.contains("capacity is 0") == true)
        #expect(reasons["s1"] == nil && reasons["u1"] == nil)
    }
}
