import Testing
import KindredCore
@testable import KindredVectorize

/// The feature blocks of contract §2 against hand-computed values.
@Suite struct VectorizeTests {
    let profiles = """
        id,role,languages,age_band,availability,region,active
        a,peer,en,25-34,mon;tue,US-CA,
        b,peer,en,35-44,tue,us-ca,
        c,peer,en,65+,,,
        d,peer,en,,,,false

        """
    let tags = "profile_id,tag,weight\na,grief,1\na,loss,2\nb,grief,\nc,addiction,1\nd,grief,1\nd,loss,1\n"

    @Test func tagsOnlyScoreIsTheTFIDFCosine() throws {
        let d = try TestSupport.load(profiles: profiles, tags: tags)
        let f = Vectorizer.build(d, weights: BlockWeights(tags: 1, availability: 0, age: 0, region: 0))
        // N = 3 active (d is inactive and does not count): df(grief) = 2, df(loss) = 1.
        // a = (1·(ln(4/3)+1), 2·(ln 2+1)), b = (1, 0) after normalising:
        // cos = 1.2876820724517808 / |a| = 0.3554324678504174 (computed by hand in Python).
        #expect(abs(f.exactScore(0, 1) - 0.3554324678504174) < 1e-12)
        #expect(f.exactScore(0, 2) == 0)
        #expect(f.dimension == 3)  // grief, loss, addiction: the inactive profile adds nothing
        #expect(f.nonZeros(3) == 0)
    }

    @Test func availabilityAgeAndRegionBlocks() throws {
        let d = try TestSupport.load(profiles: profiles, tags: tags)
        let availability = Vectorizer.build(d, weights: BlockWeights(tags: 0, availability: 1, age: 0, region: 0))
        #expect(abs(availability.exactScore(0, 1) - 0.7071067811865475) < 1e-12)  // {mon,tue}·{tue} = 1/√2
        #expect(availability.exactScore(0, 2) == 0)
        let region = Vectorizer.build(d, weights: BlockWeights(tags: 0, availability: 0, age: 0, region: 1))
        #expect(abs(region.exactScore(0, 1) - 1) < 1e-12)  // case-folded: US-CA = us-ca
        #expect(region.exactScore(0, 2) == 0)  // empty region never matches
        let age = Vectorizer.build(d, weights: BlockWeights(tags: 0, availability: 0, age: 1, region: 0))
        #expect(abs(age.exactScore(0, 1) - 2.0 / 3) < 1e-12)  // one band apart
        #expect(age.exactScore(0, 2) == 0)  // four bands apart
    }

    @Test func ageFeaturesReproduceTheKernelForEveryPairOfBands() throws {
        let bands: [AgeBand?] = AgeBand.allCases + [nil]
        let ps = bands.enumerated().map { i, b in
            Profile(id: "p\(i)", role: .peer, languages: ["en"], ageBand: b)
        }
        let d = Dataset(profiles: ps, tags: Array(repeating: [], count: ps.count), tagNames: [], exclusions: [])
        let f = Vectorizer.build(d, weights: BlockWeights(tags: 0, availability: 0, age: 1, region: 0))
        for i in bands.indices {
            for j in bands.indices {
                var expected = 0.0
                if let a = bands[i], let b = bands[j] { expected = max(0, 1 - Double(abs(a.rawValue - b.rawValue)) / 3) }
                #expect(abs(f.exactScore(i, j) - expected) < 1e-12)
            }
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func blendedScoreEqualsTheReferenceOnRandomData(seed: UInt64) {
        let d = TestSupport.randomDataset(seed: seed, count: 60)
        let w = BlockWeights(tags: 0.5, availability: 0.2, age: 0.2, region: 0.1)
        let f = Vectorizer.build(d, weights: w)
        let ref = TestSupport.ReferenceScorer(d, weights: w)
        for i in d.profiles.indices where d.profiles[i].active {
            for j in d.profiles.indices where d.profiles[j].active {
                #expect(abs(f.exactScore(i, j) - ref.score(i, j)) < 1e-12)
            }
        }
    }

    @Test func denseRowsMatchTheSparseRows() throws {
        let d = TestSupport.randomDataset(seed: 9, count: 40)
        let f = Vectorizer.build(d, weights: .defaults)
        let rows: [Int32] = [3, 1, 4, 1, 5]
        var dense = [Float](repeating: -1, count: rows.count * f.dimension)
        dense.withUnsafeMutableBufferPointer { f.fillDense(rows: rows, into: $0) }
        for (r, p) in rows.enumerated() {
            for (q, other) in rows.enumerated() {
                var dot = 0.0
                for c in 0 ..< f.dimension { dot += Double(dense[r * f.dimension + c]) * Double(dense[q * f.dimension + c]) }
                #expect(abs(dot - f.exactScore(Int(p), Int(other))) < 1e-6)
            }
        }
    }

    @Test func sharedTagsAreOrderedByContribution() throws {
        let d = try TestSupport.load(profiles: "id,role,languages\na,peer,en\nb,peer,en\nc,peer,en\n",
                                     tags: "profile_id,tag,weight\na,rare,1\na,common,1\na,zeta,1\nb,rare,1\nb,common,1\nc,common,1\nb,zeta,1\n")
        let f = Vectorizer.build(d, weights: .defaults)
        let names = f.sharedTagContributions(0, 1).map { d.tagNames[Int($0.tag)] }
        // rare and zeta have the same (higher) idf, so they tie and go by name.
        #expect(names == ["rare", "zeta", "common"])
    }

    /// The export's allocation-free top shared tags equal the first `limit`
    /// of the sorted list, for every pair of a random population with heavy
    /// tag overlap (ties in contribution included), and only append.
    @Test func appendedSharedTagsArePrefixesOfTheSortedList() {
        let d = TestSupport.randomDataset(seed: 4, count: 60, vocabulary: 6)
        let f = Vectorizer.build(d, weights: .defaults)
        var compared = 0, longest = 0, ties = 0
        for i in 0 ..< 60 {
            for j in 0 ..< 60 {
                let contributions = f.sharedTagContributions(i, j)
                let all = contributions.map(\.tag)
                longest = max(longest, all.count)
                ties += zip(contributions, contributions.dropFirst()).filter { $0.contribution == $1.contribution }.count
                for limit in 0 ... 4 {
                    var out: [Int32] = [-7]
                    f.appendSharedTags(i, j, limit: limit, to: &out)
                    #expect(out == [-7] + all.prefix(limit), "pair \(i), \(j), limit \(limit)")
                    compared += 1
                }
            }
        }
        // Profiles here have up to 4 tags: limits 1 to 3 cut some lists short;
        // and equal contributions occur, so the tag order of ties is tested.
        #expect(longest == 4 && compared == 60 * 60 * 5 && ties > 0)

        // The export's entry point (which prefetches rows ahead, up to the last
        // entry) explains each `matches` row as its owner and candidate.
        let lists = (0 ..< 60).map { i in (0 ..< 60).filter { ($0 * 7 + i) % 5 == 0 }.map {
            Candidate(index: Int32($0), score: Score(0.5)) } }
        let matches = RankedMatches(lists: lists)
        let owner = matches.ownerOfEntries()
        for e in matches.entries.indices {
            var viaEntry: [Int32] = [], direct: [Int32] = []
            f.appendSharedTags(ofEntry: e, in: matches, owner: owner, limit: 3, to: &viaEntry)
            f.appendSharedTags(owner[e], Int(matches.entries[e].index), limit: 3, to: &direct)
            #expect(viaEntry == direct, "entry \(e)")
        }
        #expect(matches.entries.count == 720)
    }

    /// The scatter-and-gather scores of the exact rescoring equal the sorted
    /// merge bit for bit, for every pair of a random population (inactive and
    /// empty rows included), and the scratch row is left zero.
    @Test(arguments: [UInt64(1), 2])
    func gatheredScoresEqualTheMergeBitForBit(seed: UInt64) {
        let d = TestSupport.randomDataset(seed: seed, count: 150, vocabulary: 30)
        let f = Vectorizer.build(d, weights: .defaults)
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: f.dimension)
        scratch.initialize(repeating: 0, count: f.dimension)
        defer { scratch.deallocate() }
        var compared = 0, positive = 0
        for i in d.profiles.indices {
            f.scatter(i, into: scratch)
            for j in d.profiles.indices {
                let score = f.gatheredScore(scratch, j)
                #expect(score.bitPattern == f.exactScore(i, j).bitPattern)
                compared += 1
                if score > 0 { positive += 1 }
            }
            f.clear(i, in: scratch)
        }
        #expect(compared == d.profiles.count * d.profiles.count)
        #expect(positive > compared / 4)
        #expect((0 ..< f.dimension).allSatisfy { scratch[$0] == 0 })
    }
}
