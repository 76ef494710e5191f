import KindredCore

/// Everything one run exports, in the form both writers read.
public struct RunReport: Sendable {
    public var startedAt: String
    public var finishedAt: String
    public var engineVersion: String
    /// The effective config as a JSON object (keys sorted).
    public var configJSON: String
    public var inputSHA256: String
    public var dataset: Dataset
    public var matches: RankedMatches
    /// Shared tags of each match row, parallel to `matches.entries`.
    public var sharedTags: SharedTags
    public var assignments: [Assignment]
    public var groups: [SupportGroup]
    /// All stages, sorted by profile id then stage.
    public var unmatched: [Unmatched]
    /// Extra figures for the `run` object and the `run_metrics` table, by name.
    public var metrics: [(name: String, value: Double)]
    /// Outcomes of the current pairings and memberships (`--current`).
    public var incumbency: [IncumbencyOutcome]

    public init(startedAt: String, finishedAt: String, engineVersion: String, configJSON: String,
                inputSHA256: String, dataset: Dataset, matches: RankedMatches,
                sharedTags: SharedTags, assignments: [Assignment],
                groups: [SupportGroup], unmatched: [Unmatched], metrics: [(name: String, value: Double)] = [],
                incumbency: [IncumbencyOutcome] = []) {
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.engineVersion = engineVersion
        self.configJSON = configJSON
        self.inputSHA256 = inputSHA256
        self.dataset = dataset
        self.matches = matches
        self.sharedTags = sharedTags
        self.assignments = assignments
        self.groups = groups
        self.unmatched = unmatched
        self.metrics = metrics
        self.incumbency = incumbency
    }

    /// Valid profile rows, active or not.
    public var profileCount: Int { dataset.profiles.count }
    public var rejectedRows: Int { dataset.rejects.count }

    func id(_ i: Int32) -> String { dataset.profiles[Int(i)].id }
}
