import KindredCore
import KindredVectorize

/// Says why a profile has no eligible candidate, in words a coordinator can act on.
///
/// Only called for profiles whose ranking came back empty, which are few; it
/// walks the partner role's profiles applying the hard rules one at a time
/// (the readable ``HardRules``, not the compiled form) and names the first rule
/// that leaves nobody.
///
/// - Complexity: O(n · (languages + nnz)) per profile explained.
public struct RankingDiagnostics {
    let dataset: Dataset
    let features: FeatureSpace
    let excluded: Set<UInt64>
    let byRole: [Role: [Int]]

    public init(dataset: Dataset, features: FeatureSpace) {
        self.dataset = dataset
        self.features = features
        excluded = Set(dataset.exclusions.map(\.key))
        var byRole: [Role: [Int]] = [:]
        for (i, p) in dataset.profiles.enumerated() where p.active { byRole[p.role, default: []].append(i) }
        self.byRole = byRole
    }

    public func reason(for i: Int) -> String {
        let me = dataset.profiles[i]
        let partner = me.role.partnerRole
        let noun = partner.rawValue
        var pool = (byRole[partner] ?? []).filter { $0 != i }
        guard !pool.isEmpty else {
            return "no eligible candidate: no other active \(noun) in this run"
        }
        pool = pool.filter { HardRules.shareLanguage(me.languages, dataset.profiles[$0].languages) }
        guard !pool.isEmpty else {
            return "no eligible candidate: no active \(noun) shares a language"
        }
        pool = pool.filter { HardRules.safeguardingAllows(me, dataset.profiles[$0]) }
        guard !pool.isEmpty else {
            return me.isMinor
                ? "no eligible candidate: safeguarding: no under-18 \(noun) shares a language"
                : "no eligible candidate: safeguarding: every \(noun) sharing a language is under-18"
        }
        pool = pool.filter { HardRules.genderAllows(me, dataset.profiles[$0]) }
        guard !pool.isEmpty else {
            if me.genderPreference == .same && me.gender == nil {
                return "no eligible candidate: gender preference 'same' needs a gender on the profile"
            }
            return "no eligible candidate: gender preference: no \(noun) sharing a language meets either side's gender preference"
        }
        pool = pool.filter { !excluded.contains(ExclusionPair(Int32(i), Int32($0)).key) }
        guard !pool.isEmpty else {
            return "no eligible candidate: every remaining \(noun) is excluded (exclusions.csv)"
        }
        return "no eligible candidate: nothing in common with any allowed \(noun) (no shared tag, availability, age band or region)"
    }
}
