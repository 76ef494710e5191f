import KindredCore

/// Group cohesion, member fit and theme.
public enum GroupDescription {
    /// Mean pairwise score of a set of profiles (0 for fewer than two).
    static func meanPairScore(_ members: [Int], score: (Int, Int) -> Double) -> Double {
        guard members.count > 1 else { return 0 }
        var total = 0.0
        for a in members.indices { for b in members.indices where b > a { total += score(members[a], members[b]) } }
        return total / Double(members.count * (members.count - 1) / 2)
    }

    /// Mean pairwise score, and each member's mean score to the others.
    public static func cohesion(_ members: [Int32], score: (Int, Int) -> Double) -> (cohesion: Score, fit: [Score]) {
        let n = members.count
        var total = 0.0
        var perMember = [Double](repeating: 0, count: n)
        for a in 0 ..< n {
            for b in a + 1 ..< n {
                let s = score(Int(members[a]), Int(members[b]))
                total += s
                perMember[a] += s
                perMember[b] += s
            }
        }
        let pairs = Double(n * (n - 1) / 2)
        return (Score(pairs > 0 ? total / pairs : 0), perMember.map { Score(n > 1 ? $0 / Double(n - 1) : 0) })
    }

    /// Tags carried by at least two members, most carried first, then by name.
    ///
    /// Counted by sorting the members' tag indices (a few dozen) rather than
    /// in a dictionary: the same counts, without hashing, for every group.
    ///
    /// - Complexity: O(t log t) for the t tags of the members.
    public static func theme(_ members: [Int32], tags: [[TagWeight]], tagNames: [String], limit: Int) -> [String] {
        var all: [Int32] = []
        for m in members { for t in tags[Int(m)] { all.append(t.tag) } }
        all.sort()
        var shared: [(tag: Int32, count: Int)] = []
        var i = 0
        while i < all.count {
            var j = i + 1
            while j < all.count && all[j] == all[i] { j += 1 }
            if j - i >= 2 { shared.append((all[i], j - i)) }
            i = j
        }
        // Tag indices are distinct here, so this order is total.
        shared.sort { $0.count != $1.count ? $0.count > $1.count : $0.tag < $1.tag }
        return shared.prefix(limit).map { tagNames[Int($0.tag)] }
    }
}
