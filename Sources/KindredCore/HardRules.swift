/// The hard rules of contract §3 as one predicate over two profiles.
///
/// This is the readable statement of the rules. The similarity core uses a
/// compiled form of the same rules (bit masks, interned ids) and the tests check
/// that the two agree, and that every exported pair satisfies this one.
public enum HardRules {
    /// What a pair is checked for: a pairing (matches, assignments) or a group.
    public enum Context: Sendable {
        case pairing
        case grouping
    }

    /// Why a pair is not allowed; `nil` means allowed.
    public enum Violation: String, Sendable, CaseIterable {
        case sameProfile = "same profile"
        case inactive = "inactive profile"
        case roles = "roles do not pair"
        case noSharedLanguage = "no shared language"
        case safeguarding = "safeguarding (under-18 only with under-18)"
        case genderPreference = "gender preference"
        case excluded = "excluded pair"
    }

    /// Whether two roles may be paired or grouped (rule 2).
    @inlinable
    public static func rolesCompatible(_ a: Role, _ b: Role, _ context: Context) -> Bool {
        switch context {
        case .pairing: a.partnerRole == b
        case .grouping: a == b && a != .supporter
        }
    }

    /// Whether two sorted language lists share an entry (rule 3).
    public static func shareLanguage(_ a: [String], _ b: [String]) -> Bool {
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] { return true }
            if TextNormalization.byteOrder(a[i], b[j]) { i += 1 } else { j += 1 }
        }
        return false
    }

    /// Safeguarding (rule 4): a minor only with a minor. A profile of unknown age
    /// is not a minor, so it is never paired with one.
    @inlinable
    public static func safeguardingAllows(_ a: Profile, _ b: Profile) -> Bool {
        a.isMinor == b.isMinor
    }

    /// Gender preference (rule 5).
    public static func genderAllows(_ a: Profile, _ b: Profile) -> Bool {
        if a.genderPreference == .any && b.genderPreference == .any { return true }
        guard let ga = a.gender, let gb = b.gender, !ga.isEmpty else { return false }
        return ga == gb
    }

    /// The first rule the pair breaks, in the contract's order, or `nil`.
    public static func violation(_ a: Profile, _ b: Profile, sameIndex: Bool, excluded: Bool,
                                 context: Context) -> Violation? {
        if sameIndex { return .sameProfile }
        if !a.active || !b.active { return .inactive }
        if !rolesCompatible(a.role, b.role, context) { return .roles }
        if !shareLanguage(a.languages, b.languages) { return .noSharedLanguage }
        if !safeguardingAllows(a, b) { return .safeguarding }
        if !genderAllows(a, b) { return .genderPreference }
        if excluded { return .excluded }
        return nil
    }
}
