import KindredCore

/// Each person's languages as a bit set, so that "do these people still share a
/// language" is a few ANDs instead of string-set intersections.
///
/// Exact for any number of languages: each person has `words` 64-bit words
/// (one bit per distinct language of the people covered). People not covered
/// have no bits, so they share nothing with anyone.
struct LanguageMasks {
    let words: Int
    /// `bits[p * words ..< (p + 1) * words]` is profile p's set.
    private var bits: [UInt64]

    /// - Complexity: O(profiles · words + languages of the covered people).
    init(profiles: [Profile], include: [Bool]) {
        var id: [String: Int] = [:]
        for p in profiles.indices where include[p] {
            for l in profiles[p].languages where id[l] == nil { id[l] = id.count }
        }
        let words = max(1, (id.count + 63) / 64)
        self.words = words
        bits = [UInt64](repeating: 0, count: profiles.count * words)
        for p in profiles.indices where include[p] {
            for l in profiles[p].languages {
                let b = id[l]!
                bits[p * words + b / 64] |= 1 << UInt64(b % 64)
            }
        }
    }

    /// Profile p's set, as a starting value for a group's common languages.
    func set(of p: Int) -> [UInt64] { Array(bits[p * words ..< (p + 1) * words]) }

    /// Whether `common` and p's languages meet.
    @inline(__always) func meets(_ common: [UInt64], _ p: Int) -> Bool {
        let base = p * words
        for w in 0 ..< words where common[w] & bits[base + w] != 0 { return true }
        return false
    }

    /// `common ∩= languages(p)`.
    @inline(__always) func intersect(_ common: inout [UInt64], with p: Int) {
        let base = p * words
        for w in 0 ..< words { common[w] &= bits[base + w] }
    }

    /// Whether `members` (without `skipping`, if it is one of them) and `plus`
    /// all speak one language.
    ///
    /// - Complexity: O(members · words).
    func shareOne(_ members: some Collection<Int>, skipping: Int = -1, plus: Int) -> Bool {
        for w in 0 ..< words {
            var common = bits[plus * words + w]
            for m in members where m != skipping { common &= bits[m * words + w] }
            if common != 0 { return true }
        }
        return false
    }
}
