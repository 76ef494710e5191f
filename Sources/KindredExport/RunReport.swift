import Dispatch
import Synchronization
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

/// For each match row, its shared tags (tag indices, best first), in
/// compressed form parallel to ``RankedMatches/entries``.
public struct SharedTags: Sendable {
    public var offsets: [Int]
    public var tags: [Int32]

    public init(offsets: [Int], tags: [Int32]) {
        precondition(offsets.first == 0 && offsets.last == tags.count)
        self.offsets = offsets
        self.tags = tags
    }

    /// Builds the lists with `explain(row)` for each of `rows` entries, in
    /// parallel chunks.
    public init(rows: Int, explain: @Sendable (Int) -> [Int32]) {
        let chunk = 16384
        let chunks = (rows + chunk - 1) / chunk
        let parts = ChunkResults(count: chunks)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var lists: [[Int32]] = []
            for e in c * chunk ..< min(rows, (c + 1) * chunk) { lists.append(explain(e)) }
            parts.set(c, lists)
        }
        var offsets = [0]
        offsets.reserveCapacity(rows + 1)
        var tags: [Int32] = []
        for c in 0 ..< chunks {
            for list in parts.get(c) {
                tags.append(contentsOf: list)
                offsets.append(tags.count)
            }
        }
        self.init(offsets: offsets, tags: tags)
    }

    @inlinable public func of(_ entry: Int) -> ArraySlice<Int32> { tags[offsets[entry] ..< offsets[entry + 1]] }
}

/// One slot per chunk, each written once by one worker. Writes go through a
/// mutex: even distinct indices of one Swift array share its buffer.
private final class ChunkResults: Sendable {
    private let slots: Mutex<[[[Int32]]]>
    init(count: Int) { slots = Mutex(Array(repeating: [], count: count)) }
    func set(_ i: Int, _ value: [[Int32]]) { slots.withLock { $0[i] = value } }
    func get(_ i: Int) -> [[Int32]] { slots.withLock { $0[i] } }
}
