import Foundation
import KindredCore

/// `kindred generate`: realistic synthetic inputs, deterministic for a seed.
///
/// What makes it realistic enough to test and benchmark on:
/// - tags come in topical clusters (grief, addiction, perinatal, ...), each
///   person centred on one or two clusters, and popularity is Zipf-like, so a
///   few tags are very common and most are rare;
/// - every role, several languages (some people bilingual), some `under-18`,
///   some unknown ages, gender preferences, availability, regions, supporter
///   capacities (a few 0), a few exclusions and a few inactive people.
public struct SyntheticData {
    public var count: Int
    public var seed: UInt64
    /// Number of distinct tags to draw from.
    public var vocabulary: Int
    /// Mean tags per person.
    public var tagsPerPerson: Double

    public init(count: Int, seed: UInt64, vocabulary: Int = 2000, tagsPerPerson: Double = 8) {
        self.count = count
        self.seed = seed
        self.vocabulary = vocabulary
        self.tagsPerPerson = tagsPerPerson
    }

    static let clusters: [[String]] = [
        ["grief", "bereavement", "loss-of-parent", "loss-of-child", "widowhood", "sudden-loss", "anticipatory-grief"],
        ["addiction", "alcohol", "opioids", "recovery", "relapse", "sobriety", "harm-reduction"],
        ["psychosis", "schizophrenia", "hearing-voices", "first-episode", "hospitalisation", "medication"],
        ["postpartum", "perinatal", "postpartum-depression", "birth-trauma", "new-parent", "miscarriage", "infertility"],
        ["veteran", "ptsd", "military", "moral-injury", "combat", "transition-to-civilian"],
        ["anxiety", "panic-attacks", "social-anxiety", "health-anxiety", "agoraphobia", "phobia"],
        ["depression", "low-mood", "burnout", "loneliness", "isolation", "seasonal-depression"],
        ["bipolar", "mania", "mood-swings", "cyclothymia", "mood-tracking"],
        ["eating-disorder", "anorexia", "bulimia", "binge-eating", "body-image", "arfid"],
        ["self-harm", "suicidal-thoughts", "crisis", "safety-planning", "suicide-loss"],
        ["trauma", "childhood-trauma", "complex-ptsd", "abuse-survivor", "domestic-violence", "sexual-assault"],
        ["chronic-illness", "chronic-pain", "long-covid", "disability", "cancer", "diagnosis"],
        ["caregiving", "carer", "dementia-carer", "parent-of-child-with-needs", "respite"],
        ["lgbtq", "coming-out", "gender-identity", "trans", "family-rejection"],
        ["ocd", "intrusive-thoughts", "compulsions", "hoarding", "body-dysmorphia"],
        ["adhd", "autism", "neurodivergent", "late-diagnosis", "executive-function"],
        ["divorce", "separation", "co-parenting", "relationship-breakup", "single-parent"],
        ["unemployment", "job-loss", "financial-stress", "debt", "homelessness", "housing"],
        ["migration", "refugee", "culture-shock", "language-barrier", "racism"],
        ["gambling", "gaming", "compulsive-spending", "internet-addiction"],
    ]
    static let facets = ["early", "long-term", "family", "young-adult", "later-life", "rural", "faith", "online",
                         "work", "sibling", "partner", "student", "men", "women", "friends", "relapse-prevention"]
    static let languages: [(String, Double)] = [("en", 72), ("es", 12), ("fr", 4), ("de", 3), ("pt", 3), ("ar", 2), ("zh", 2), ("pl", 2)]
    static let regions = ["US-CA", "US-NY", "US-TX", "US-FL", "US-WA", "US-IL", "US-MA", "US-GA", "CA-ON", "CA-BC",
                          "GB-LND", "GB-MAN", "GB-EDH", "IE-D", "AU-NSW", "AU-VIC", "NZ-AUK", "ES-MD", "ES-CT",
                          "MX-CMX", "FR-IDF", "DE-BE", "DE-BY", "PT-LIS", "BR-SP", "PL-MZ", "EG-C", "CN-BJ", "IN-MH", "ZA-GT"]
    static let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    static let slots = ["morning", "afternoon", "evening"]

    /// The tag vocabulary: (name, cluster), most popular first within the
    /// round-robin over clusters, so every cluster has popular tags.
    func vocabularyList() -> [(name: String, cluster: Int)] {
        var out: [(String, Int)] = []
        var seen = Set<String>()
        var round = 0
        while out.count < vocabulary {
            var added = false
            for (c, seeds) in SyntheticData.clusters.enumerated() {
                // Round r takes seed (r mod seeds) with facet r / seeds (0 = bare seed).
                let perCluster = seeds.count
                let s = round % perCluster, f = round / perCluster
                var name = seeds[s]
                if f > 0 {
                    let facet = SyntheticData.facets[(f - 1) % SyntheticData.facets.count]
                    let lap = (f - 1) / SyntheticData.facets.count
                    name += "-" + facet + (lap > 0 ? "-\(lap + 1)" : "")
                }
                if seen.insert(name).inserted {
                    out.append((name, c))
                    added = true
                    if out.count == vocabulary { break }
                }
            }
            round += 1
            if !added && round > 100_000 { break }
        }
        return out
    }

    /// Writes profiles.csv, tags.csv and exclusions.csv into `directory`.
    /// - Complexity: O(count × tagsPerPerson).
    public func write(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var rng = SplitMix64(seed: seed)
        let vocab = vocabularyList()
        var byCluster = [[Int]](repeating: [], count: SyntheticData.clusters.count)
        for (t, v) in vocab.enumerated() { byCluster[v.cluster].append(t) }
        let clusterIDs = byCluster.indices.filter { !byCluster[$0].isEmpty }
        let globalZipf = ZipfSampler(n: vocab.count, exponent: 1.05)
        let clusterZipf = ZipfSampler(n: clusterIDs.count, exponent: 0.7)
        var withinZipf: [Int: ZipfSampler] = [:]
        for c in clusterIDs { withinZipf[c] = ZipfSampler(n: byCluster[c].count, exponent: 1.1) }

        let width = max(6, String(count).count)
        func id(_ i: Int) -> String {
            let digits = String(i + 1)
            return "p" + String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        var profiles = "id,role,languages,age_band,availability,region,gender,gender_preference,capacity,active\n"
        var tags = "profile_id,tag,weight\n"
        profiles.reserveCapacity(count * 90)
        tags.reserveCapacity(count * Int(tagsPerPerson * 30))
        let ages: [(String, Double)] = [("under-18", 5), ("", 8), ("18-24", 16), ("25-34", 22), ("35-44", 18),
                                        ("45-54", 14), ("55-64", 10), ("65+", 7)]
        for i in 0 ..< count {
            let pid = id(i)
            let roll = rng.unit()
            let role = roll < 0.5 ? "peer" : roll < 0.85 ? "seeker" : "supporter"
            var langs = [rng.weighted(SyntheticData.languages)]
            if rng.unit() < 0.15 {
                let second = langs[0] == "en" ? rng.weighted(SyntheticData.languages) : "en"
                if second != langs[0] { langs.append(second) }
            }
            var age = rng.weighted(ages)
            if role == "supporter" && age == "under-18" && rng.unit() < 0.6 { age = "18-24" }
            var avail = Set<String>()
            for _ in 0 ..< 1 + rng.below(4) {
                avail.insert("\(SyntheticData.days[rng.below(7)])-\(SyntheticData.slots[rng.below(3)])")
            }
            let region = rng.unit() < 0.05 ? "" : SyntheticData.regions[min(SyntheticData.regions.count - 1, Int(Double(SyntheticData.regions.count) * rng.unit() * rng.unit()))]
            let g = rng.unit()
            let gender = g < 0.5 ? "woman" : g < 0.9 ? "man" : g < 0.95 ? "non-binary" : ""
            let pref = rng.unit() < 0.1 ? "same" : rng.unit() < 0.5 ? "any" : ""
            let capacity = role == "supporter" ? (rng.unit() < 0.03 ? "0" : String(1 + rng.below(5))) : ""
            let active = rng.unit() < 0.97 ? "true" : "false"
            profiles += "\(pid),\(role),\(langs.sorted().joined(separator: ";")),\(age),\(avail.sorted().joined(separator: ";")),\(region),\(gender),\(pref),\(capacity),\(active)\n"

            // Tags: mostly from a primary cluster, some from a second, a few from anywhere.
            let primary = clusterIDs[clusterZipf.sample(&rng)]
            let secondary = rng.unit() < 0.4 ? clusterIDs[clusterZipf.sample(&rng)] : primary
            let n = max(1, Int((tagsPerPerson * (0.5 + rng.unit())).rounded()))
            var chosen = Set<Int>()
            var attempts = 0
            while chosen.count < n && attempts < n * 10 {
                attempts += 1
                let r = rng.unit()
                let tag: Int
                if r < 0.75 {
                    tag = byCluster[primary][withinZipf[primary]!.sample(&rng)]
                } else if r < 0.9 {
                    tag = byCluster[secondary][withinZipf[secondary]!.sample(&rng)]
                } else {
                    tag = globalZipf.sample(&rng)
                }
                chosen.insert(tag)
            }
            for t in chosen.sorted() {
                let w = rng.unit()
                let weight = w < 0.4 ? "" : w < 0.8 ? String(1 + rng.below(5)) : String(format: "%.1f", 0.5 + rng.unit() * 4)
                tags += "\(pid),\(vocab[t].name),\(weight)\n"
            }
        }
        var exclusions = "a,b,reason\n"
        for _ in 0 ..< max(1, count / 200) where count > 1 {
            let a = rng.below(count)
            var b = rng.below(count)
            if b == a { b = (a + 1) % count }
            exclusions += "\(id(a)),\(id(b)),coordinator note\n"
        }
        try write(profiles, to: directory + "/profiles.csv")
        try write(tags, to: directory + "/tags.csv")
        try write(exclusions, to: directory + "/exclusions.csv")
    }

    private func write(_ text: String, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }
}

/// A small, fast, seedable generator (Steele et al., SplitMix64).
public struct SplitMix64: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Uniform in 0 ..< n.
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    mutating func weighted(_ items: [(String, Double)]) -> String {
        let total = items.reduce(0) { $0 + $1.1 }
        var x = unit() * total
        for (item, w) in items {
            x -= w
            if x < 0 { return item }
        }
        return items[items.count - 1].0
    }
}

/// Samples ranks 0 ..< n with probability ∝ 1 / (rank + 1)^exponent.
struct ZipfSampler {
    let cumulative: [Double]

    init(n: Int, exponent: Double) {
        var c: [Double] = []
        var s = 0.0
        for r in 0 ..< n {
            s += 1 / pow(Double(r + 1), exponent)
            c.append(s)
        }
        cumulative = c.map { $0 / s }
    }

    func sample(_ rng: inout SplitMix64) -> Int {
        let x = rng.unit()
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
