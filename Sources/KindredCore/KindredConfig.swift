/// The run's settings (contract §2 "The config file"); see docs/Config.md.
public struct KindredConfig: Sendable, Equatable {
    /// Candidates kept per person in `matches`.
    public var topK: Int = 10
    /// Smallest and largest group size.
    public var groupMin: Int = 5
    public var groupMax: Int = 8
    /// Smallest cohesion of a newly suggested group (about what people picked
    /// at random within one language share is 0.07).
    public var groupMinCohesion: Double = 0.1
    /// A person joins an existing group late only if their mean score to it is
    /// at least this share of the group's cohesion.
    public var groupJoinRatio: Double = 0.5
    /// Feature block weights, normalised to sum to 1.
    public var weights: BlockWeights = .defaults
    /// How seekers are assigned to supporters.
    public var assignmentMode: AssignmentMode = .stable
    /// How many shared tags a match row explains itself with (`shared_tags`).
    public var sharedTagsMax: Int = 5
    /// How many tags a group's `theme` lists at most.
    public var themeMax: Int = 3

    public init() {}
}

/// Weights of the four feature blocks of contract §2.
public struct BlockWeights: Sendable, Equatable {
    public var tags: Double
    public var availability: Double
    public var age: Double
    public var region: Double

    /// Tags dominate: shared lived experience is what peer support is built on.
    public static let defaults = BlockWeights(tags: 0.7, availability: 0.15, age: 0.1, region: 0.05)

    public init(tags: Double, availability: Double, age: Double, region: Double) {
        self.tags = tags
        self.availability = availability
        self.age = age
        self.region = region
    }

    /// The same weights divided by their sum. Precondition: sum > 0.
    public var normalized: BlockWeights {
        let s = tags + availability + age + region
        precondition(s > 0 && s.isFinite, "weights must have a positive finite sum")
        return BlockWeights(tags: tags / s, availability: availability / s, age: age / s, region: region / s)
    }
}

/// Assignment strategies for seekers and supporters (`[assignment] mode`).
public enum AssignmentMode: String, Sendable, CaseIterable {
    /// Seeker-proposing deferred acceptance: no blocking pair (contract §4).
    /// Nobody would rather swap; fair and explainable.
    case stable
    /// Maximum total score subject to capacities (min-cost flow).
    case optimal
    /// As many seekers assigned as possible, then the highest total score.
    case coverage
}
