import Foundation
import KindredCore
@testable import KindredIngest

/// Builders and an independent reference for the tests.
enum TestSupport {
    /// A deterministic generator for test data.
    struct RNG {
        var state: UInt64
        init(_ seed: UInt64) { state = seed &+ 0x1234_5678 }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
    }

    /// A random dataset built directly (not through CSV), with few tags and
    /// languages so that ties and every hard rule occur often.
    static func randomDataset(seed: UInt64, count: Int, vocabulary: Int = 12, languages: [String] = ["en", "es", "fr"],
                              exclusions: Int = 10) -> Dataset {
        var rng = RNG(seed)
        let genders = ["woman", "man", "non-binary"]
        var profiles: [Profile] = []
        var tags: [[TagWeight]] = []
        for i in 0 ..< count {
            let roll = rng.below(10)
            let role: Role = roll < 5 ? .peer : roll < 8 ? .seeker : .supporter
            var langs = [languages[rng.below(languages.count)]]
            if rng.chance(0.2) { langs.append(languages[rng.below(languages.count)]) }
            let age: AgeBand? = rng.chance(0.1) ? nil : rng.chance(0.1) ? .under18 : AgeBand(rawValue: 1 + rng.below(6))
            let availability = TextNormalization.sortedUnique((0 ..< rng.below(3)).map { _ in "slot\(rng.below(5))" })
            profiles.append(Profile(
                id: String(format: "p%04d", i), role: role, languages: TextNormalization.sortedUnique(langs), ageBand: age,
                availability: availability, region: rng.chance(0.3) ? nil : "r\(rng.below(3))",
                gender: rng.chance(0.1) ? nil : genders[rng.below(3)],
                genderPreference: rng.chance(0.15) ? .same : .any,
                capacity: rng.below(4), active: !rng.chance(0.05), line: i + 2))
            var t: [Int32: Double] = [:]
            for _ in 0 ..< rng.below(5) { t[Int32(rng.below(vocabulary))] = Double(1 + rng.below(3)) }
            tags.append(t.keys.sorted().map { TagWeight(tag: $0, weight: t[$0]!) })
        }
        var pairs = Set<ExclusionPair>()
        for _ in 0 ..< exclusions {
            let a = rng.below(count), b = rng.below(count)
            if a != b { pairs.insert(ExclusionPair(Int32(a), Int32(b))) }
        }
        let names = (0 ..< vocabulary).map { String(format: "tag%03d", $0) }
        return Dataset(profiles: profiles, tags: tags, tagNames: names, exclusions: pairs.sorted())
    }

    /// The contract's score (§2) computed from scratch in double precision,
    /// with dictionaries, independent of the vectoriser's data layout.
    struct ReferenceScorer {
        let dataset: Dataset
        let weights: BlockWeights
        var tfidf: [[Int32: Double]] = []

        init(_ dataset: Dataset, weights: BlockWeights) {
            self.dataset = dataset
            self.weights = weights.normalized
            let active = dataset.profiles.indices.filter { dataset.profiles[$0].active }
            var df: [Int32: Int] = [:]
            for i in active { for t in dataset.tags[i] { df[t.tag, default: 0] += 1 } }
            let n = Double(active.count)
            tfidf = dataset.profiles.indices.map { i in
                guard dataset.profiles[i].active else { return [:] }
                var v: [Int32: Double] = [:]
                for t in dataset.tags[i] { v[t.tag] = t.weight * (Foundation.log((1 + n) / (1 + Double(df[t.tag]!))) + 1) }
                let norm = v.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
                return norm > 0 ? v.mapValues { $0 / norm } : [:]
            }
        }

        func score(_ i: Int, _ j: Int) -> Double {
            let a = dataset.profiles[i], b = dataset.profiles[j]
            var tags = 0.0
            for (t, x) in tfidf[i] { if let y = tfidf[j][t] { tags += x * y } }
            let shared = Set(a.availability).intersection(b.availability).count
            let availability = a.availability.isEmpty || b.availability.isEmpty ? 0
                : Double(shared) / (Double(a.availability.count) * Double(b.availability.count)).squareRoot()
            var age = 0.0
            if let x = a.ageBand, let y = b.ageBand { age = max(0, 1 - Double(abs(x.rawValue - y.rawValue)) / 3) }
            let region: Double = a.region != nil && a.region == b.region ? 1 : 0
            return weights.tags * tags + weights.availability * availability + weights.age * age + weights.region * region
        }

        /// The naive O(N²) top-k of contract §6 for profile i: every allowed
        /// candidate with rounded score > 0, by (rounded score desc, id asc).
        func topK(_ i: Int, k: Int) -> (list: [(index: Int, score: Double)], eligible: Int) {
            let excluded = Set(dataset.exclusions.map(\.key))
            var all: [(index: Int, score: Double)] = []
            for j in dataset.profiles.indices {
                let v = HardRules.violation(dataset.profiles[i], dataset.profiles[j], sameIndex: i == j,
                                            excluded: excluded.contains(ExclusionPair(Int32(i), Int32(j)).key),
                                            context: .pairing)
                guard v == nil else { continue }
                let s = score(i, j)
                if (s * 1e6).rounded(.toNearestOrAwayFromZero) > 0 { all.append((j, s)) }
            }
            all.sort { x, y in
                let rx = (x.score * 1e6).rounded(.toNearestOrAwayFromZero), ry = (y.score * 1e6).rounded(.toNearestOrAwayFromZero)
                return rx != ry ? rx > ry : dataset.profiles[x.index].id.utf8.lexicographicallyPrecedes(dataset.profiles[y.index].id.utf8)
            }
            return (Array(all.prefix(k)), all.count)
        }
    }

    /// Loads a dataset from CSV text (profiles, tags, optional exclusions).
    static func load(profiles: String, tags: String, exclusions: String? = nil) throws -> Dataset {
        try Ingest.load(profiles: InputFile(name: "profiles.csv", bytes: Array(profiles.utf8)),
                        tags: InputFile(name: "tags.csv", bytes: Array(tags.utf8)),
                        exclusions: exclusions.map { try InputFile(name: "exclusions.csv", bytes: Array($0.utf8)) })
    }

    /// A fresh temporary folder.
    static func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kindred-test-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
