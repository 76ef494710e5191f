import KindredCore

/// The hard rules of contract §3 compiled for the inner loop: one language bit
/// mask, one flag byte and one interned gender per profile, and a hash set of
/// excluded pairs.
///
/// Roles (rule 2) and activity (rule 7) are not checked here: the engine only
/// ever compares an active profile with active profiles of the partner role.
/// ``HardRules`` in the core is the readable statement these must agree with.
public struct CompiledRules: Sendable {
    /// Bit `b` set when the profile speaks language `b`; bit 63 stands for
    /// "some language beyond the 63 most common", checked exactly when needed.
    public let languageMask: [UInt64]
    /// Bit 0: minor; bit 1: wants the same gender; bit 2: has an exclusion.
    public let flags: [UInt8]
    /// Interned gender, 0 when empty.
    public let gender: [Int32]
    @usableFromInline let excluded: Set<UInt64>
    /// Per profile, interned language ids (only kept when bit 63 is in use).
    let languageIDs: [[Int32]]?

    @usableFromInline static let overflowBit: UInt64 = 1 << 63
    @usableFromInline static let minorFlag: UInt8 = 1
    @usableFromInline static let sameGenderFlag: UInt8 = 2
    @usableFromInline static let exclusionFlag: UInt8 = 4

    /// - Complexity: O(profiles × languages + exclusions).
    public init(_ dataset: Dataset) {
        let profiles = dataset.profiles
        // Bits go to languages by frequency (ties by code), so the 63 most common
        // are exact bits and the rest share the overflow bit.
        var frequency: [String: Int] = [:]
        for p in profiles { for l in p.languages { frequency[l, default: 0] += 1 } }
        let ranked = frequency.keys.sorted { a, b in
            frequency[a]! != frequency[b]! ? frequency[a]! > frequency[b]! : TextNormalization.byteOrder(a, b)
        }
        var languageID: [String: Int32] = [:]
        for (k, l) in ranked.enumerated() { languageID[l] = Int32(k) }
        let overflow = ranked.count > 63
        var masks = [UInt64](repeating: 0, count: profiles.count)
        for (i, p) in profiles.enumerated() {
            for l in p.languages {
                let id = Int(languageID[l]!)
                masks[i] |= id < 63 ? (1 << UInt64(id)) : CompiledRules.overflowBit
            }
        }
        languageMask = masks
        languageIDs = overflow ? profiles.map { $0.languages.map { languageID[$0]! }.sorted() } : nil

        var genderID: [String: Int32] = [:]
        var genders = [Int32](repeating: 0, count: profiles.count)
        var flags = [UInt8](repeating: 0, count: profiles.count)
        for (i, p) in profiles.enumerated() {
            if let g = p.gender {
                if let id = genderID[g] { genders[i] = id } else {
                    let id = Int32(genderID.count + 1)
                    genderID[g] = id
                    genders[i] = id
                }
            }
            if p.isMinor { flags[i] |= CompiledRules.minorFlag }
            if p.genderPreference == .same { flags[i] |= CompiledRules.sameGenderFlag }
        }
        var excluded = Set<UInt64>()
        for pair in dataset.exclusions {
            excluded.insert(pair.key)
            flags[Int(pair.a)] |= CompiledRules.exclusionFlag
            flags[Int(pair.b)] |= CompiledRules.exclusionFlag
        }
        self.flags = flags
        gender = genders
        self.excluded = excluded
    }

    /// Whether two distinct active profiles of compatible roles may be paired
    /// (rules 3–6). Also the rule for two members of one group.
    @inlinable
    public func allows(_ i: Int, _ j: Int) -> Bool {
        let shared = languageMask[i] & languageMask[j]
        if shared & ~CompiledRules.overflowBit == 0 {
            guard shared != 0, sharesRareLanguage(i, j) else { return false }
        }
        let fi = flags[i], fj = flags[j]
        if (fi ^ fj) & CompiledRules.minorFlag != 0 { return false }
        if (fi | fj) & CompiledRules.sameGenderFlag != 0 {
            let g = gender[i]
            if g == 0 || g != gender[j] { return false }
        }
        if fi & fj & CompiledRules.exclusionFlag != 0 {
            if excluded.contains(ExclusionPair(Int32(i), Int32(j)).key) { return false }
        }
        return true
    }

    /// Rule 3 alone.
    public func shareLanguage(_ i: Int, _ j: Int) -> Bool {
        let shared = languageMask[i] & languageMask[j]
        if shared & ~CompiledRules.overflowBit != 0 { return true }
        return shared != 0 && sharesRareLanguage(i, j)
    }

    /// Rule 5 alone.
    public func genderAllows(_ i: Int, _ j: Int) -> Bool {
        guard (flags[i] | flags[j]) & CompiledRules.sameGenderFlag != 0 else { return true }
        return gender[i] != 0 && gender[i] == gender[j]
    }

    /// Exact check for two profiles that both carry the overflow bit.
    @usableFromInline
    func sharesRareLanguage(_ i: Int, _ j: Int) -> Bool {
        guard let ids = languageIDs else { return false }
        let a = ids[i], b = ids[j]
        var x = 0, y = 0
        while x < a.count && y < b.count {
            if a[x] == b[y] { return true }
            if a[x] < b[y] { x += 1 } else { y += 1 }
        }
        return false
    }

    /// Whether the pair is in exclusions.csv.
    public func isExcluded(_ i: Int, _ j: Int) -> Bool {
        excluded.contains(ExclusionPair(Int32(i), Int32(j)).key)
    }
}
