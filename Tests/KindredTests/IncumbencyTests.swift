import Testing
import KindredCore
@testable import KindredDecide
@testable import KindredIngest
import KindredSimilarity
import KindredVectorize

/// Current pairings and groups (`--current`) are kept unless a rule forbids them.
@Suite struct IncumbencyTests {
    let profiles = """
        id,role,languages,age_band,capacity,active
        s1,seeker,en,25-34,,
        s2,seeker,en,25-34,,
        u1,supporter,en,25-34,1,
        u2,supporter,en,25-34,1,
        u3,supporter,fr,25-34,1,
        p1,peer,en,25-34,,
        p2,peer,en,25-34,,
        p3,peer,en,25-34,,
        p4,peer,en,25-34,,
        p5,peer,en,25-34,,
        p6,peer,en,25-34,,false
        p7,peer,en,under-18,,

        """
    let tags = """
        profile_id,tag
        s1,grief
        s2,grief
        u1,grief
        u2,loss
        u3,grief
        p1,anxiety
        p2,anxiety
        p3,anxiety
        p4,anxiety
        p5,anxiety
        p6,anxiety
        p7,anxiety

        """

    func decide(current: String, exclusions: String = "a,b\n") throws -> (Dataset, Decisions) {
        let d = try TestSupport.load(profiles: profiles, tags: tags, exclusions: exclusions)
        var index: [String: Int32] = [:]
        for (i, p) in d.profiles.enumerated() { index[p.id] = Int32(i) }
        let (incumbency, rejects, _) = try IncumbencyLoader.load(InputFile(name: "current.csv", bytes: Array(current.utf8)), profileIndex: index)
        #expect(rejects.isEmpty)
        let f = Vectorizer.build(d, weights: .defaults)
        let rules = CompiledRules(d)
        var config = KindredConfig()
        config.groupMin = 3
        config.groupMax = 4
        let (r, _) = SimilarityEngine.rank(d, features: f, rules: rules,
                                           tasks: [.init(.peer, .peer, k: 20), .init(.seeker, .supporter, k: 10), .init(.seeker, .seeker, k: 20)],
                                           options: .init(topK: 10, threads: 1))
        let matches = r[0].forward.merged(with: r[1].forward) { d.profiles[$0].role == .peer }
            .merged(with: r[1].backward) { d.profiles[$0].role != .supporter }
        let neighbours = r[0].forward.merged(with: r[2].forward) { d.profiles[$0].role == .peer }
        let decisions = Decisions.make(dataset: d, matches: matches, groupNeighbours: neighbours,
                                       score: { f.exactScore($0, $1) }, allowed: { rules.allows($0, $1) },
                                       isExcluded: { rules.isExcluded($0, $1) }, incumbency: incumbency, config: config)
        return (d, decisions)
    }

    func id(_ d: Dataset, _ i: Int32?) -> String? { i.map { d.profiles[Int($0)].id } }

    @Test func keptSupportPairSurvivesEvenWhenNotTheBestChoice() throws {
        // s1 with u2 shares nothing in tags but age: a weak pair, still allowed.
        let (d, x) = try decide(current: "kind,profile_id,partner_id\nsupport,u2,s1\n")
        let support = x.assignments.filter { $0.kind == .support }.map { [id(d, $0.profile)!, id(d, $0.partner)!] }
        #expect(support.contains(["s1", "u2"]))
        #expect(support.contains(["s2", "u1"]))
        #expect(x.incumbency.count == 1 && x.incumbency[0].kept)
    }

    @Test func forbiddenPairsEndWithTheRuleNamed() throws {
        let (d, x) = try decide(current: "kind,profile_id,partner_id\nsupport,s1,u3\nsupport,s2,u1\npeer,p1,p7\n",
                                exclusions: "a,b\nu1,s2\n")
        let reasons = Dictionary(uniqueKeysWithValues: x.incumbency.map { (id(d, $0.profile)!, $0) })
        #expect(reasons["s1"]?.kept == false && reasons["s1"]?.reason.contains("language") == true)
        #expect(reasons["s2"]?.kept == false && reasons["s2"]?.reason.contains("excluded") == true)
        #expect(reasons["p1"]?.kept == false && reasons["p1"]?.reason.contains("safeguarding") == true)
    }

    @Test func currentGroupKeepsItsAllowedMembers() throws {
        let (d, x) = try decide(current: "kind,profile_id,group_id\ngroup,p1,g7\ngroup,p2,g7\ngroup,p3,g7\ngroup,p6,g7\ngroup,p7,g7\n")
        let kept = x.incumbency.filter(\.kept).map { id(d, $0.profile)! }.sorted()
        #expect(kept == ["p1", "p2", "p3"])
        let ended = Dictionary(uniqueKeysWithValues: x.incumbency.filter { !$0.kept }.map { (id(d, $0.profile)!, $0.reason) })
        #expect(ended["p6"] == "inactive")
        #expect(ended["p7"]?.contains("safeguarding") == true)
        // The kept members are still together, in the group the outcome names.
        let groupID = x.incumbency.first { $0.kept }!.groupID!
        let group = x.groups.first { $0.id == groupID }!
        #expect(Set(["p1", "p2", "p3"]).isSubset(of: Set(group.members.map { d.profiles[Int($0)].id })))
    }

    @Test func groupBelowMinimumIsDissolved() throws {
        let (_, x) = try decide(current: "kind,profile_id,group_id\ngroup,p1,g1\ngroup,p6,g1\ngroup,p7,g1\n")
        #expect(x.incumbency.allSatisfy { !$0.kept })
    }
}
