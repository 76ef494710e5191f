import KindredCore

/// Forms support groups among the people of one role (contract §4).
///
/// ## Method: seeded greedy growth over the similarity graph
/// 1. Each person's *potential* is the sum of their best `group_max - 1`
///    neighbour scores (from an exact top-k list of same-role people). Seeds are
///    taken in decreasing potential, so dense, similar neighbourhoods form
///    groups first.
/// 2. A group grows from its seed by adding, among the unassigned neighbours
///    of its members, the person with the highest mean score to the current
///    members who is allowed with *every* member (languages, safeguarding,
///    gender preference, exclusions) and shares a language with all of them.
///    Up to `group_min` the best such person is always added; beyond it, only
///    while their mean score is at least `keepRatio` of the group's cohesion,
///    so growing never dilutes a group much.
/// 3. A seed that cannot reach `group_min`, or whose group's cohesion stays
///    below `minCohesion` (about what people picked at random within one
///    language share), releases its members.
/// 4. People still unplaced may then join an existing group with room, when
///    allowed with every member, and when their mean score to it is positive
///    and at least `joinRatio` of the group's cohesion.
/// 5. ``GroupRefinement`` moves and swaps members between neighbouring groups
///    while that raises the mean cohesion without lowering the weaker group.
///
/// Scores inside a group are exact (double precision), so `cohesion` is
/// the true mean pairwise score. Deterministic: every choice breaks ties by
/// profile index (= id order).
///
/// ## Implementation
/// With feature rows, scores come from ``FeatureRows`` gathered against dense
/// scratch vectors (``MemberScores`` in growth, ``PairScorer`` for leftovers),
/// with the same bits as the `score` closure; languages are ``LanguageMasks``.
/// Every sum is added in the order the method above states, so the result is
/// exactly that of the plain implementation kept in the tests
/// (`GroupReference.swift`), which `GroupFastPathTests` compares against.
///
/// - Complexity: O(n · k · g²) score evaluations in the worst case, for n
///   people, k neighbours per person and groups of at most g (each of a
///   group's g members brings up to k candidates, each scored against up to g
///   members); typically far less, as most candidates are shared.
public struct GroupFormation {
    public struct Settings: Sendable {
        public var groupMin: Int
        public var groupMax: Int
        /// Beyond `groupMin`, a newcomer's mean score must be at least this share
        /// of the group's current cohesion.
        public var keepRatio = 0.75
        /// A leftover joins a group only if their mean score to its members is
        /// at least this share of the group's cohesion.
        public var joinRatio = 0.5
        /// New groups need at least this cohesion (config `group_min_cohesion`).
        public var minCohesion = 0.1
        public var themeMax: Int

        public init(groupMin: Int, groupMax: Int, themeMax: Int) {
            precondition(groupMin >= 2 && groupMax >= groupMin)
            self.groupMin = groupMin
            self.groupMax = groupMax
            self.themeMax = themeMax
        }
    }

    /// One formed group before numbering.
    public struct Formed: Sendable {
        public var members: [Int32]
        public var language: String
    }

    let profiles: [Profile]
    /// A profile's sparse feature row; `nil` skips refinement. When given, `score`
    /// must be the dot product of the rows summed in column order (as
    /// `FeatureSpace.exactScore` is): scores are then computed from the rows.
    let row: ((Int) -> (columns: ArraySlice<Int32>, values: ArraySlice<Double>))?
    let dimension: Int
    let neighbours: (Int) -> ArraySlice<Candidate>
    let score: (Int, Int) -> Double
    let allowed: (Int, Int) -> Bool
    let settings: Settings
    /// How many people of the pool speak each language (to name a group's language).
    let languageFrequency: [String: Int]

    public init(profiles: [Profile], neighbours: @escaping (Int) -> ArraySlice<Candidate>,
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
    public func form(pool: [Int], kept: [(members: [Int], language: String)] = []) -> (groups: [Formed], left: [(Int, String)]) {
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

        // Everyone the search can meet: the pool, kept members and neighbours.
        var covered = [Bool](repeating: false, count: profiles.count)
        for i in pool {
            covered[i] = true
            for c in neighbours(i) { covered[Int(c.index)] = true }
        }
        for g in kept { for m in g.members { covered[m] = true } }
        let languages = LanguageMasks(profiles: profiles, include: covered)
        let rows = row.map { FeatureRows(include: covered, dimension: dimension, row: $0) }
        let scorer = PairScorer(score: score, rows: rows)

        var potential = [Double](repeating: 0, count: profiles.count)
        for i in pool { potential[i] = neighbours(i).prefix(settings.groupMax - 1).reduce(0.0) { $0 + $1.score.value } }
        let seeds = pool.sorted { potential[$0] != potential[$1] ? potential[$0] > potential[$1] : $0 < $1 }
        var growth = Growth(profiles: profiles.count)
        let memberScores = MemberScores(score: score, rows: rows, lanes: settings.groupMax)
        for seed in seeds where !assigned[seed] {
            guard let members = grow(seed: seed, assigned: assigned, languages: languages, scores: memberScores,
                                     state: &growth)
            else { continue }
            for m in members {
                assigned[m] = true
                groupOf[m] = groups.count
            }
            groups.append(members)
        }

        // Place leftovers into groups with room. A group's own mean pair score
        // is cached until someone joins it.
        var groupMean = [Double?](repeating: nil, count: groups.count)
        var tried: [Int] = []
        for x in pool where !assigned[x] {
            var best: (group: Int, mean: Double)?
            tried.removeAll(keepingCapacity: true)
            for c in neighbours(x) {
                let g = groupOf[Int(c.index)]
                guard g >= 0, !tried.contains(g) else { continue }
                tried.append(g)
                guard groups[g].count < settings.groupMax else { continue }
                guard groups[g].allSatisfy({ allowed(x, $0) }), languages.shareOne(groups[g], plus: x) else { continue }
                let mean = scorer.total(x, groups[g]) / Double(groups[g].count)
                // A latecomer must fit at least half as well as the members do
                // with each other, so joining never drags a group down much.
                let cohesion = groupMean[g] ?? scorer.meanPair(groups[g])
                groupMean[g] = cohesion
                let floor = settings.joinRatio * cohesion
                if mean > 0, mean >= floor, best == nil || mean > best!.mean { best = (g, mean) }
            }
            if let best {
                groups[best.group].append(x)
                groupMean[best.group] = nil
                assigned[x] = true
                groupOf[x] = best.group
            }
        }

        if let rows {
            GroupRefinement(profiles: profiles, neighbours: neighbours, allowed: allowed, rows: rows,
                            languages: languages, settings: settings)
                .refine(&groups, groupOf: &groupOf, fixed: kept.count)
        }

        let formed = groups.enumerated().map { n, g -> Formed in
            let members = g.sorted()
            // A kept group keeps its language if every (new) member speaks it.
            if n < kept.count, members.allSatisfy({ profiles[$0].languages.contains(kept[n].language) }) {
                return Formed(members: members.map(Int32.init), language: kept[n].language)
            }
            return Formed(members: members.map(Int32.init), language: chooseLanguage(languages.common(members)))
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

    /// Scratch state of ``grow(seed:assigned:languages:scores:state:)``, reused across seeds.
    struct Growth {
        /// `seen[x] == attempt`: x was a member, a candidate or rejected in this attempt.
        var seen: [Int]
        var attempt = 0
        /// The current candidates and their score sums to all current members
        /// (unordered: the best is found by a total order).
        var candidates: [Int] = []
        var sums: [Double] = []

        init(profiles: Int) { seen = [Int](repeating: 0, count: profiles) }
    }

    /// Grows one group from a seed; `nil` if it cannot reach `groupMin`.
    ///
    /// A candidate's sum is `Σ score(x, m)` over the members in the order they
    /// joined, however late x became a candidate, as the method requires.
    /// A person is looked at once per attempt: one who failed the rules or the
    /// language test against a member fails it for good, since members are
    /// only added and the common languages only shrink.
    ///
    /// - Complexity: O(g · (G·g + C) · nnz) for groups of g, G neighbours per
    ///   person and C candidates (C ≤ g·G).
    private func grow(seed: Int, assigned: [Bool], languages: LanguageMasks, scores: MemberScores,
                      state: inout Growth) -> [Int]? {
        state.attempt += 1
        let attempt = state.attempt
        state.candidates.removeAll(keepingCapacity: true)
        state.sums.removeAll(keepingCapacity: true)
        var members = [seed]
        scores.join(seed, at: 0)
        defer { scores.clear(members) }
        state.seen[seed] = attempt
        var common = languages.set(of: seed)
        func consider(neighboursOf m: Int) {
            for c in neighbours(m) {
                let x = Int(c.index)
                guard !assigned[x], state.seen[x] != attempt else { continue }
                state.seen[x] = attempt
                guard members.allSatisfy({ allowed(x, $0) }), languages.meets(common, x) else { continue }
                state.candidates.append(x)
                state.sums.append(scores.total(x, members))
            }
        }
        consider(neighboursOf: seed)
        var pairSum = 0.0
        while members.count < settings.groupMax {
            // Best candidate: highest sum (= highest mean), then lowest index.
            guard !state.candidates.isEmpty else { break }
            var k = 0
            for i in state.candidates.indices.dropFirst() {
                let s = state.sums[i], t = state.sums[k]
                if s > t || (s == t && state.candidates[i] < state.candidates[k]) { k = i }
            }
            let x = state.candidates[k], sum = state.sums[k]
            let mean = sum / Double(members.count)
            if members.count >= settings.groupMin {
                let cohesion = pairSum / Double(members.count * (members.count - 1) / 2)
                if mean < settings.keepRatio * cohesion { break }
            }
            guard mean > 0 else { break }
            members.append(x)
            scores.join(x, at: members.count - 1)
            pairSum += sum
            languages.intersect(&common, with: x)
            state.candidates.swapAt(k, state.candidates.count - 1)
            state.sums.swapAt(k, state.sums.count - 1)
            state.candidates.removeLast()
            state.sums.removeLast()
            // Update the others: drop those no longer allowed, add score to x.
            var i = 0
            while i < state.candidates.count {
                let y = state.candidates[i]
                if allowed(y, x) && languages.meets(common, y) {
                    state.sums[i] = state.sums[i] + scores.score(y, member: x, at: members.count - 1)
                    i += 1
                } else {
                    state.candidates.swapAt(i, state.candidates.count - 1)
                    state.sums.swapAt(i, state.sums.count - 1)
                    state.candidates.removeLast()
                    state.sums.removeLast()
                }
            }
            consider(neighboursOf: x)
        }
        guard members.count >= settings.groupMin else { return nil }
        // A group no more alike than people picked at random is not suggested.
        let cohesion = pairSum / Double(members.count * (members.count - 1) / 2)
        return cohesion >= settings.minCohesion ? members : nil
    }

    /// The group's language: of the languages all members share, the one most
    /// spoken in the pool (then byte order).
    private func chooseLanguage(_ common: [String]) -> String {
        common.min { a, b in
            let fa = languageFrequency[a] ?? 0, fb = languageFrequency[b] ?? 0
            return fa != fb ? fa > fb : TextNormalization.byteOrder(a, b)
        } ?? ""
    }
}
