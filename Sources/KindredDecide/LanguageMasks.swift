import KindredCore

/// Each person's languages as a bit set, so that "do these people still share a
/// language" is a few ANDs instead of string-set intersections.
///
/// Exact for any number of languages: each person has `words` 64-bit words
/// (one bit per distinct language of the people covered). People not covered
/// have no bits, so they share nothing with anyone.
struct LanguageMasks {
    let words: Int
    /// The languages, by bit.
    let names: [String]
    /// `bits[p * words ..< (p + 1) * words]` is profile p's set.
    private var bits: [UInt64]

    /// - Complexity: O(profiles · words + languages of the covered people).
    init(profiles: [Profile], include: [Bool]) {
        var id: [String: Int] = [:]
        var names: [String] = []
        // One dictionary lookup per (person, language); the bits are set once
        // the number of words is known.
        var ids: [Int] = []
        for p in profiles.indices where include[p] {
            for l in profiles[p].languages {
                if let b = id[l] {
                    ids.append(b)
                } else {
                    id[l] = names.count
                    ids.append(names.count)
                    names.append(l)
                }
            }
        }
        let words = max(1, (names.count + 63) / 64)
        self.words = words
        self.names = names
        bits = [UInt64](repeating: 0, count: profiles.count * words)
        var next = 0
        for p in profiles.indices where include[p] {
            for _ in profiles[p].languages {
                bits[p * words + ids[next] / 64] |= 1 << UInt64(ids[next] % 64)
                next += 1
            }
        }
    }

    /// The languages all of `members` speak.
    ///
    /// - Complexity: O(members · words + shared languages).
    func common(_ members: [Int]) -> [String] {
        var out: [String] = []
        for w in 0 ..< words {
            var set = UInt64.max
            for m in members { set &= bits[m * words + w] }
            while set != 0 {
                out.append(names[w * 64 + set.trailingZeroBitCount])
                set &= set - 1
            }
        }
        return out
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
