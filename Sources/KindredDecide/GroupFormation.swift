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
    /// A profile's sparse feature row, for the refinement's group sums; `nil` skips refinement.
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
            GroupRefinement(profiles: profiles, neighbours: neighbours, allowed: allowed, row: row, settings: settings,
                            dimension: dimension)
                .refine(&groups, groupOf: &groupOf, fixed: kept.count)
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

/// Group cohesion, member fit and theme.
public enum GroupDescription {
    /// Mean pairwise score of a set of profiles (0 for fewer than two).
    static func meanPairScore(_ members: [Int], score: (Int, Int) -> Double) -> Double {
        guard members.count > 1 else { return 0 }
        var total = 0.0
        for a in members.indices { for b in members.indices where b > a { total += score(members[a], members[b]) } }
        return total / Double(members.count * (members.count - 1) / 2)
    }

    /// Mean pairwise score, and each member's mean score to the others.
    public static func cohesion(_ members: [Int32], score: (Int, Int) -> Double) -> (cohesion: Score, fit: [Score]) {
        let n = members.count
        var total = 0.0
        var perMember = [Double](repeating: 0, count: n)
        for a in 0 ..< n {
            for b in a + 1 ..< n {
                let s = score(Int(members[a]), Int(members[b]))
                total += s
                perMember[a] += s
                perMember[b] += s
            }
        }
        let pairs = Double(n * (n - 1) / 2)
        return (Score(pairs > 0 ? total / pairs : 0), perMember.map { Score(n > 1 ? $0 / Double(n - 1) : 0) })
    }

    /// Tags carried by at least two members, most carried first, then by name.
    public static func theme(_ members: [Int32], tags: [[TagWeight]], tagNames: [String], limit: Int) -> [String] {
        var count: [Int32: Int] = [:]
        for m in members { for t in tags[Int(m)] { count[t.tag, default: 0] += 1 } }
        return count.filter { $0.value >= 2 }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(limit).map { tagNames[Int($0.key)] }
    }
}
