import KindredCore

/// Which of today's pairings and group memberships tonight's run keeps.
///
/// A current pairing is kept when both people are still active, their roles
/// still pair, every hard rule still allows the pair, their score is above 0,
/// and (for support) the supporter's capacity still has room. A current group
/// keeps the members who still satisfy every rule with each other and share one
/// language; it survives if at least `group_min` remain (trimmed to `group_max`
/// by dropping the members who fit least). Kept decisions take precedence
/// over re-optimising: the run only decides for everyone else, so people are
/// not reshuffled every night. Every row of the file gets an outcome.
public struct IncumbencyPlan: Sendable {
    public var keptSupport: [Assignment] = []
    public var keptPeers: [Assignment] = []
    /// Kept groups: (label, members, kind).
    public var keptGroups: [(label: String, members: [Int], kind: SupportGroup.Kind, language: String)] = []
    public var outcomes: [IncumbencyOutcome] = []

    public init() {}

    /// - Complexity: O(pairs + Σ group size²) rule checks.
    public static func evaluate(_ incumbency: Incumbency, profiles: [Profile], score: (Int, Int) -> Double,
                                isExcluded: (Int, Int) -> Bool, config: KindredConfig) -> IncumbencyPlan {
        var plan = IncumbencyPlan()
        func violation(_ a: Int, _ b: Int, _ context: HardRules.Context) -> HardRules.Violation? {
            HardRules.violation(profiles[a], profiles[b], sameIndex: a == b, excluded: isExcluded(a, b), context: context)
        }
        var taken = Set<Int>()
        var load = [Int: Int]()
        for pair in incumbency.pairs.sorted(by: { $0.line < $1.line }) {
            var a = Int(pair.a), b = Int(pair.b)
            if pair.kind == .support && profiles[a].role == .supporter { swap(&a, &b) }
            if pair.kind == .peer && b < a { swap(&a, &b) }
            let kind: IncumbencyOutcome.Kind = pair.kind == .support ? .support : .peer
            func end(_ reason: String) {
                plan.outcomes.append(IncumbencyOutcome(kind: kind, profile: Int32(a), partner: Int32(b), groupLabel: nil,
                                                       kept: false, reason: reason))
            }
            let expected: (Role, Role) = pair.kind == .support ? (.seeker, .supporter) : (.peer, .peer)
            if (profiles[a].role, profiles[b].role) != expected {
                end("roles no longer pair for a \(pair.kind.rawValue) pairing")
                continue
            }
            if let v = violation(a, b, .pairing) {
                end("a rule now forbids the pair: \(v.rawValue)")
                continue
            }
            let s = Score(score(a, b))
            guard s.micro > 0 else { end("nothing in common any more (score 0)"); continue }
            if pair.kind == .support {
                guard !taken.contains(a) else { end("the seeker is already kept with another supporter"); continue }
                guard profiles[b].capacity > 0 else { end("the supporter's capacity is now 0"); continue }
                guard load[b, default: 0] < profiles[b].capacity else {
                    end("the supporter's capacity (\(profiles[b].capacity)) is already used by kept pairings")
                    continue
                }
                taken.insert(a)
                load[b, default: 0] += 1
                plan.keptSupport.append(Assignment(kind: .support, profile: Int32(a), partner: Int32(b), score: s))
            } else {
                guard !taken.contains(a), !taken.contains(b) else { end("one of the peers is already kept with another partner"); continue }
                taken.insert(a)
                taken.insert(b)
                plan.keptPeers.append(Assignment(kind: .peer, profile: Int32(a), partner: Int32(b), score: s))
            }
            plan.outcomes.append(IncumbencyOutcome(kind: kind, profile: Int32(a), partner: Int32(b), groupLabel: nil,
                                                   kept: true, reason: "kept: still allowed"))
        }

        var grouped = Set<Int>()
        for label in incumbency.groups.keys.sorted(by: TextNormalization.byteOrder) {
            var members = TextNormalization.sortedUniqueInts(incumbency.groups[label]!.map(Int.init))
            var ended: [(Int, String)] = []
            // Role: the group's kind is its members' most common groupable role.
            let peers = members.filter { profiles[$0].role == .peer }.count
            let seekers = members.filter { profiles[$0].role == .seeker }.count
            let role: Role = peers >= seekers ? .peer : .seeker
            members = members.filter { m in
                if !profiles[m].active { ended.append((m, "inactive")); return false }
                if profiles[m].role != role { ended.append((m, "role is not \(role.rawValue)")); return false }
                if grouped.contains(m) { ended.append((m, "already kept in another current group")); return false }
                return true
            }
            // Drop the member with the most rule conflicts until none remain.
            while true {
                var conflicts = [Int: (count: Int, reason: HardRules.Violation)]()
                for x in members.indices {
                    for y in members.indices where y > x {
                        if let v = violation(members[x], members[y], .grouping) {
                            conflicts[members[x], default: (0, v)].count += 1
                            conflicts[members[y], default: (0, v)].count += 1
                        }
                    }
                }
                guard let worst = conflicts.max(by: { a, b in a.value.count != b.value.count ? a.value.count < b.value.count : a.key < b.key }) else { break }
                ended.append((worst.key, "a rule now forbids them in this group: \(worst.value.reason.rawValue)"))
                members.removeAll { $0 == worst.key }
            }
            // One shared language: the one most members speak (then byte order).
            var speakers = [String: Int]()
            for m in members { for l in profiles[m].languages { speakers[l, default: 0] += 1 } }
            let language = speakers.min { a, b in a.value != b.value ? a.value > b.value : TextNormalization.byteOrder(a.key, b.key) }?.key ?? ""
            members = members.filter { m in
                if profiles[m].languages.contains(language) { return true }
                ended.append((m, "does not speak the group's language"))
                return false
            }
            // Trim to group_max by fit.
            while members.count > config.groupMax {
                let fits = members.map { m in members.reduce(0.0) { $0 + (m == $1 ? 0 : score(m, $1)) } }
                let i = fits.indices.min { fits[$0] != fits[$1] ? fits[$0] < fits[$1] : members[$0] > members[$1] }!
                ended.append((members[i], "the group is above group_max; this member fitted least"))
                members.remove(at: i)
            }
            let kind: SupportGroup.Kind = role == .peer ? .peer : .seeker
            if members.count >= config.groupMin {
                plan.keptGroups.append((label, members, kind, language))
                grouped.formUnion(members)
                for m in members {
                    plan.outcomes.append(IncumbencyOutcome(kind: .group, profile: Int32(m), partner: nil, groupLabel: label,
                                                           kept: true, reason: "kept: still allowed"))
                }
            } else {
                for m in members {
                    ended.append((m, "the group fell below group_min (\(config.groupMin)) after changes"))
                }
            }
            for (m, reason) in ended {
                plan.outcomes.append(IncumbencyOutcome(kind: .group, profile: Int32(m), partner: nil, groupLabel: label,
                                                       kept: false, reason: reason))
            }
        }
        return plan
    }
}

extension TextNormalization {
    /// Sorted, unique integers.
    static func sortedUniqueInts(_ xs: [Int]) -> [Int] { Array(Set(xs)).sorted() }
}
