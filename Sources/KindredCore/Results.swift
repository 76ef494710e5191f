/// One ranked candidate of one person.
public struct Candidate: Sendable, Equatable {
    /// Profile index of the candidate.
    public var index: Int32
    public var score: Score

    @inlinable public init(index: Int32, score: Score) {
        self.index = index
        self.score = score
    }

    /// Ranking order: rounded score descending, then id ascending (index order).
    @inlinable public static func ranksBefore(_ a: Candidate, _ b: Candidate) -> Bool {
        a.score != b.score ? a.score > b.score : a.index < b.index
    }
}

/// Every person's ranked candidates, in compressed-row form.
///
/// `candidates(of: i)` is profile i's list, best first; empty for inactive
/// profiles and for those with no eligible candidate.
public struct RankedMatches: Sendable, Equatable {
    /// `offsets[i] ..< offsets[i + 1]` indexes `entries` for profile i.
    public var offsets: [Int]
    public var entries: [Candidate]

    public init(offsets: [Int], entries: [Candidate]) {
        precondition(offsets.first == 0 && offsets.last == entries.count)
        self.offsets = offsets
        self.entries = entries
    }

    /// Builds the compressed form from one list per profile.
    public init(lists: [[Candidate]]) {
        var offsets = [0]
        offsets.reserveCapacity(lists.count + 1)
        var entries: [Candidate] = []
        for list in lists {
            entries.append(contentsOf: list)
            offsets.append(entries.count)
        }
        self.init(offsets: offsets, entries: entries)
    }

    public var profileCount: Int { offsets.count - 1 }

    @inlinable public func candidates(of i: Int) -> ArraySlice<Candidate> {
        entries[offsets[i] ..< offsets[i + 1]]
    }

    /// For each entry, the profile whose list it is in.
    public func ownerOfEntries() -> [Int] {
        var owner = [Int](repeating: 0, count: entries.count)
        for i in 0 ..< profileCount { for e in offsets[i] ..< offsets[i + 1] { owner[e] = i } }
        return owner
    }

    /// Every list cut to its first `k` entries (exact top-k lists are
    /// prefix-consistent, so this is the top-k).
    public func truncated(to k: Int) -> RankedMatches {
        RankedMatches(lists: (0 ..< profileCount).map { Array(candidates(of: $0).prefix(k)) })
    }

    /// Profile i's list from `self` where `useSelf(i)`, else from `other`.
    public func merged(with other: RankedMatches, useSelf: (Int) -> Bool) -> RankedMatches {
        precondition(profileCount == other.profileCount)
        return RankedMatches(lists: (0 ..< profileCount).map {
            Array(useSelf($0) ? candidates(of: $0) : other.candidates(of: $0))
        })
    }
}

/// A support assignment (seeker, supporter) or a peer pair (smaller id, larger id).
public struct Assignment: Sendable, Equatable {
    public enum Kind: String, Sendable { case support, peer }
    public var kind: Kind
    /// The seeker, or the peer with the smaller id.
    public var profile: Int32
    /// The supporter, or the peer with the larger id.
    public var partner: Int32
    public var score: Score

    public init(kind: Kind, profile: Int32, partner: Int32, score: Score) {
        self.kind = kind
        self.profile = profile
        self.partner = partner
        self.score = score
    }
}

/// A suggested support group.
public struct SupportGroup: Sendable, Equatable {
    public enum Kind: String, Sendable { case peer, seeker }
    /// 1-based, in export order.
    public var id: Int
    public var kind: Kind
    public var language: String
    /// Member profile indices, ascending.
    public var members: [Int32]
    /// Mean pairwise score inside the group.
    public var cohesion: Score
    /// The tags most members share, most shared first.
    public var theme: [String]
    /// Each member's fit: mean score to the other members, parallel to `members`.
    public var fit: [Score]

    public init(id: Int, kind: Kind, language: String, members: [Int32], cohesion: Score, theme: [String], fit: [Score]) {
        self.id = id
        self.kind = kind
        self.language = language
        self.members = members
        self.cohesion = cohesion
        self.theme = theme
        self.fit = fit
    }
}

/// A person left out of a stage, and a reason a coordinator can act on.
public struct Unmatched: Sendable, Equatable {
    public enum Stage: String, Sendable, Comparable {
        case ranking, assignment, group
        public static func < (a: Stage, b: Stage) -> Bool { a.order < b.order }
        private var order: Int { self == .ranking ? 0 : self == .assignment ? 1 : 2 }
    }
    public var profile: Int32
    public var stage: Stage
    public var reason: String

    public init(profile: Int32, stage: Stage, reason: String) {
        self.profile = profile
        self.stage = stage
        self.reason = reason
    }
}
