import KindredCore
import KindredVectorize

/// Says why a profile has no eligible candidate, in words a coordinator can act on.
///
/// Only called for profiles whose ranking came back empty. It walks the
/// partner role's profiles applying the hard rules one at a time, in the
/// contract's order, and names the first rule that leaves nobody. If some
/// allowed candidate remains, the ranking (which is exact) proves all of them
/// score 0: nothing in common.
///
/// - Complexity: O(n) per profile explained, on the compiled rules.
public struct RankingDiagnostics {
    let dataset: Dataset
    let rules: CompiledRules
    let byRole: [Role: [Int]]

    public init(dataset: Dataset, rules: CompiledRules) {
        self.dataset = dataset
        self.rules = rules
        var byRole: [Role: [Int]] = [:]
        for (i, p) in dataset.profiles.enumerated() where p.active { byRole[p.role, default: []].append(i) }
        self.byRole = byRole
    }

    public func reason(for i: Int) -> String {
        let me = dataset.profiles[i]
        let partner = me.role.partnerRole
        let noun = partner.rawValue
        let minorFlag = rules.flags[i] & CompiledRules.minorFlag
        var pool = (byRole[partner] ?? []).filter { $0 != i }
        guard !pool.isEmpty else {
            return "no eligible candidate: no other active \(noun) in this run"
        }
        pool = pool.filter { rules.shareLanguage(i, $0) }
        guard !pool.isEmpty else {
            return "no eligible candidate: no active \(noun) shares a language"
        }
        pool = pool.filter { rules.flags[$0] & CompiledRules.minorFlag == minorFlag }
        guard !pool.isEmpty else {
            return me.isMinor
                ? "no eligible candidate: safeguarding: no under-18 \(noun) shares a language"
                : "no eligible candidate: safeguarding: every \(noun) sharing a language is under-18"
        }
        pool = pool.filter { rules.genderAllows(i, $0) }
        guard !pool.isEmpty else {
            if me.genderPreference == .same && me.gender == nil {
                return "no eligible candidate: gender preference 'same' needs a gender on the profile"
            }
            return "no eligible candidate: gender preference: no \(noun) sharing a language meets either side's gender preference"
        }
        pool = pool.filter { !rules.isExcluded(i, $0) }
        guard !pool.isEmpty else {
            return "no eligible candidate: every remaining \(noun) is excluded (exclusions.csv)"
        }
        return "no eligible candidate: nothing in common with any allowed \(noun) (no shared tag, availability, age band or region)"
    }
}
