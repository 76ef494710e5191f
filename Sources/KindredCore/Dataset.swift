/// Everything ingestion produced: valid profiles, their tags, exclusions, rejects.
///
/// Profiles are sorted by id in byte order, so a profile's index is also its
/// rank in the contract's tie-break order; every other structure refers to
/// profiles by that index.
public struct Dataset: Sendable {
    public var profiles: [Profile]
    /// `tags[i]` are profile i's tags, sorted by tag index, one entry per tag.
    public var tags: [[TagWeight]]
    /// Normalised tag strings, in byte order (so tag index order is byte order).
    public var tagNames: [String]
    /// Excluded pairs as (smaller index, larger index), sorted, unique.
    public var exclusions: [ExclusionPair]
    public var rejects: [Reject]
    /// Columns each file had that the contract does not define, by file name.
    public var unknownColumns: [(file: String, columns: [String])]

    public init(profiles: [Profile], tags: [[TagWeight]], tagNames: [String],
                exclusions: [ExclusionPair], rejects: [Reject] = [],
                unknownColumns: [(file: String, columns: [String])] = []) {
        precondition(profiles.count == tags.count, "one tag list per profile")
        self.profiles = profiles
        self.tags = tags
        self.tagNames = tagNames
        self.exclusions = exclusions
        self.rejects = rejects
        self.unknownColumns = unknownColumns
    }

    /// Indices of active profiles, ascending (so in id order).
    public var activeIndices: [Int32] {
        profiles.indices.compactMap { profiles[$0].active ? Int32($0) : nil }
    }
}

/// Two profile indices that must never be paired or grouped; `a < b`.
public struct ExclusionPair: Sendable, Hashable, Comparable {
    public var a: Int32
    public var b: Int32

    public init(_ x: Int32, _ y: Int32) {
        a = min(x, y)
        b = max(x, y)
    }

    /// One 64-bit key per unordered pair, for hash sets.
    @inlinable public var key: UInt64 { UInt64(UInt32(a)) << 32 | UInt64(UInt32(b)) }

    public static func < (l: ExclusionPair, r: ExclusionPair) -> Bool { (l.a, l.b) < (r.a, r.b) }
}

/// Today's pairings and groups, read from `--current`, to be kept where the
/// rules still allow.
public struct Incumbency: Sendable {
    public struct Pair: Sendable, Equatable {
        public var kind: Assignment.Kind
        /// For support: the seeker side as written (the loader does not check roles).
        public var a: Int32
        public var b: Int32
        public var line: Int

        public init(kind: Assignment.Kind, a: Int32, b: Int32, line: Int) {
            self.kind = kind
            self.a = a
            self.b = b
            self.line = line
        }
    }

    public var pairs: [Pair] = []
    /// Members by the coordinator's group label.
    public var groups: [String: [Int32]] = [:]

    public init() {}

    public var isEmpty: Bool { pairs.isEmpty && groups.isEmpty }
}

/// What became of one current pairing or group membership.
public struct IncumbencyOutcome: Sendable, Equatable {
    public enum Kind: String, Sendable { case support, peer, group }
    public var kind: Kind
    public var profile: Int32
    /// The partner's profile index, for pairs.
    public var partner: Int32?
    /// The coordinator's group label, for groups.
    public var groupLabel: String?
    /// The new group id, when a membership was kept.
    public var groupID: Int?
    public var kept: Bool
    public var reason: String

    public init(kind: Kind, profile: Int32, partner: Int32?, groupLabel: String?, groupID: Int? = nil, kept: Bool, reason: String) {
        self.kind = kind
        self.profile = profile
        self.partner = partner
        self.groupLabel = groupLabel
        self.groupID = groupID
        self.kept = kept
        self.reason = reason
    }
}
