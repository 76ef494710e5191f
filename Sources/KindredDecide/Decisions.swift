import Dispatch
import KindredCore

/// The decision stage: assignments, peer pairs, groups and who was left out.
public struct Decisions: Sendable {
    public var assignments: [Assignment]
    public var groups: [SupportGroup]
    /// Rows for the `assignment` and `group` stages.
    public var unmatched: [Unmatched]
    /// Run metrics (see docs/Outputs.md), by name.
    public var metrics: [(name: String, value: Double)]
    /// What became of each current pairing and membership (`--current`).
    public var incumbency: [IncumbencyOutcome] = []

    /// How many same-role neighbours group formation looks at per person.
    public static func groupNeighbourCount(_ config: KindredConfig) -> Int { max(16, 3 * config.groupMax) }

    /// Runs every decision.
    ///
    /// - Parameters:
    ///   - matches: the ranked matches (the candidate graph of contract §4).
    ///   - groupNeighbours: for every active peer and seeker, its best
    ///     same-role candidates (``groupNeighbourCount(_:)`` of them).
    ///   - score: the exact score of two profiles.
    ///   - allowed: whether two same-role profiles may share a group (rules 3–6).
    ///   - incumbency: today's decisions to keep where still allowed.
    ///   - isExcluded: whether a pair is in exclusions.csv.
    ///   - threads: above 1, the three decision jobs run concurrently.
    ///   - timer: called with a stage name when the decisions ("decide": the
    ///     assignments and both kinds of groups, formed concurrently), then the
    ///     groups' descriptions and the metrics ("describe"), are done.
    ///   - row: a profile's sparse feature row (score = dot product), for the
    ///     group refinement; `nil` skips it.
    public static func make(dataset: Dataset, matches: RankedMatches, groupNeighbours: RankedMatches,
                            score: @escaping @Sendable (Int, Int) -> Double, allowed: @escaping @Sendable (Int, Int) -> Bool,
                            row: (@Sendable (Int) -> (columns: ArraySlice<Int32>, values: ArraySlice<Double>))? = nil,
                            dimension: Int = 0,
                            isExcluded: (Int, Int) -> Bool = { _, _ in false },
                            incumbency: Incumbency = Incumbency(), config: KindredConfig, threads: Int = 1,
                            timer: (String) -> Void = { _ in }) -> Decisions {
        let profiles = dataset.profiles
        let graph = CandidateGraph(matches)
        let plan = IncumbencyPlan.evaluate(incumbency, profiles: profiles, score: score, isExcluded: isExcluded, config: config)
        let settings = {
            var s = GroupFormation.Settings(groupMin: config.groupMin, groupMax: config.groupMax, themeMax: config.themeMax)
            s.minCohesion = config.groupMinCohesion
            s.joinRatio = config.groupJoinRatio
            return s
        }()

        // Three independent jobs (contract §4: a group is a separate offer, so
        // groups do not depend on assignments): assignments, peer groups and
        // seeker groups. With more than one thread they run concurrently; each writes only its own slot
        // and only reads the shared inputs, so the result is the same as in
        // sequence.
        let kinds: [(kind: SupportGroup.Kind, role: Role)] = [(.peer, .peer), (.seeker, .seeker)]
        let assignmentSlot = Slot<(support: [Assignment], peers: [Assignment], left: [Unmatched])>()
        let groupSlots = kinds.map { _ in Slot<(groups: [(kind: SupportGroup.Kind, group: GroupFormation.Formed)], left: [Unmatched])>() }
        let job: @Sendable (Int) -> Void = { job in
            if job == 0 {
                let support = config.assignmentMode == .stable
                    ? StableAssignment.assign(profiles: profiles, graph: graph, kept: plan.keptSupport)
                    : FlowAssignment.assign(profiles: profiles, graph: graph, mode: config.assignmentMode, kept: plan.keptSupport)
                let peers = PeerPairing.pair(profiles: profiles, graph: graph, kept: plan.keptPeers)
                let keptPeople = Set((plan.keptSupport + plan.keptPeers).flatMap { [Int($0.profile), Int($0.partner)] })
                let left = AssignmentReasons.unmatched(profiles: profiles, graph: graph, assignments: support + peers,
                                                       mode: config.assignmentMode, kept: keptPeople)
                assignmentSlot.value = (support, peers, left)
                return
            }
            let (kind, role) = kinds[job - 1]
            let pool = profiles.indices.filter { profiles[$0].active && profiles[$0].role == role }
            let former = GroupFormation(profiles: profiles, neighbours: { groupNeighbours.candidates(of: $0) },
                                        score: score, allowed: allowed, row: row, dimension: dimension,
                                        settings: settings, pool: pool)
            let kept = plan.keptGroups.filter { $0.kind == kind }.map { (members: $0.members, language: $0.language) }
            let (groups, left) = former.form(pool: pool, kept: kept)
            groupSlots[job - 1].value = (groups.map { (kind, $0) },
                                     left.map { Unmatched(profile: Int32($0.0), stage: .group, reason: $0.1) })
        }
        if threads > 1 {
            DispatchQueue.concurrentPerform(iterations: 1 + kinds.count, execute: job)
        } else {
            for j in 0 ..< 1 + kinds.count { job(j) }
        }
        let (support, peers, assignmentLeft) = assignmentSlot.value!
        var unmatched = assignmentLeft
        var formed: [(kind: SupportGroup.Kind, group: GroupFormation.Formed)] = []
        for case let (groups, left)? in groupSlots.map(\.value) {
            formed += groups
            unmatched += left
        }
        timer("decide")
        // Number groups in a stable order: kind, language, first member.
        formed.sort { a, b in
            if a.kind != b.kind { return a.kind == .peer }
            if a.group.language != b.group.language { return TextNormalization.byteOrder(a.group.language, b.group.language) }
            return a.group.members[0] < b.group.members[0]
        }
        let groups = formed.enumerated().map { n, f -> SupportGroup in
            let (cohesion, fit) = GroupDescription.cohesion(f.group.members, score: score)
            return SupportGroup(id: n + 1, kind: f.kind, language: f.group.language, members: f.group.members,
                                cohesion: cohesion,
                                theme: GroupDescription.theme(f.group.members, tags: dataset.tags,
                                                              tagNames: dataset.tagNames, limit: config.themeMax),
                                fit: fit)
        }
        // Kept memberships learn their new group id.
        var groupOfMember = [Int32: Int]()
        for g in groups { for m in g.members { groupOfMember[m] = g.id } }
        let outcomes = plan.outcomes.map { o -> IncumbencyOutcome in
            var o = o
            if o.kind == .group && o.kept { o.groupID = groupOfMember[o.profile] }
            return o
        }
        var metrics = RunMetrics.compute(profiles: profiles, graph: graph, support: support, peers: peers,
                                         groups: groups, unmatched: unmatched)
        if !incumbency.isEmpty {
            metrics.append(("incumbents_kept", Double(outcomes.filter(\.kept).count)))
            metrics.append(("incumbents_ended", Double(outcomes.filter { !$0.kept }.count)))
        }
        timer("describe")
        return Decisions(assignments: support + peers, groups: groups, unmatched: unmatched, metrics: metrics,
                         incumbency: outcomes)
    }
}

/// Reasons for people eligible for the assignment stage who got no partner.
///
/// Eligible (contract §4): a seeker or supporter with at least one candidate
/// of the other role, a peer with at least one peer candidate.
enum AssignmentReasons {
    /// - Parameter kept: people whose current pairing was kept (`--current`);
    ///   reasons say how many of a person's candidates they account for.
    static func unmatched(profiles: [Profile], graph: CandidateGraph, assignments: [Assignment],
                          mode: AssignmentMode = .stable, kept: Set<Int> = []) -> [Unmatched] {
        var load = [Int](repeating: 0, count: profiles.count)
        for a in assignments {
            load[Int(a.profile)] += 1
            load[Int(a.partner)] += 1
        }
        var out: [Unmatched] = []
        for i in profiles.indices where profiles[i].active && !graph.neighbours[i].isEmpty && load[i] == 0 {
            let candidates = graph.neighbours[i]
            let n = candidates.count
            let reason: String
            switch profiles[i].role {
            case .seeker:
                if candidates.allSatisfy({ profiles[Int($0.index)].capacity == 0 }) {
                    reason = "\(plural(n, "candidate supporter")) \(n == 1 ? "has" : "have") capacity 0: raise a capacity or recruit a supporter"
                } else if mode != .stable {
                    reason = "the places of \(plural(n, "candidate supporter")) went to other seekers (mode \(mode.rawValue)): more supporter capacity would help"
                } else {
                    reason = n == 1
                        ? "the only candidate supporter is at capacity with closer matches: more supporter capacity would help"
                        : "all \(n) candidate supporters are at capacity with closer matches: more supporter capacity would help"
                }
            case .supporter:
                if profiles[i].capacity == 0 {
                    reason = "capacity is 0: set a capacity to take seekers"
                } else {
                    reason = n == 1
                        ? "the only candidate seeker went to a supporter with a higher score"
                        : "all \(n) candidate seekers went to supporters with higher scores"
                }
            case .peer:
                reason = n == 1
                    ? "the only candidate peer was paired with a closer match"
                    : "all \(n) candidate peers were paired with closer matches"
            }
            let keptCandidates = candidates.filter { kept.contains(Int($0.index)) }.count
            let note = keptCandidates == 0 ? ""
                : "; \(keptCandidates) of them \(keptCandidates == 1 ? "is" : "are") in a current pairing that was kept"
            out.append(Unmatched(profile: Int32(i), stage: .assignment, reason: reason + note))
        }
        return out
    }

    static func plural(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}

/// One concurrent job's result: written once by that job, read after all
/// jobs have finished (`concurrentPerform` returns only then). One object per
/// job, so no two threads ever access the same stored property.
private final class Slot<Value>: @unchecked Sendable {
    var value: Value?
}
