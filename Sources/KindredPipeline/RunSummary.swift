import Foundation
import KindredCore
import KindredExport
import KindredSimilarity

/// The short report a run prints on standard output: counts, rejects,
/// unmatched, time per stage. It holds no values from the inputs beyond
/// column names the contract tells us to name.
public struct RunSummary: Sendable, CustomStringConvertible {
    public var lines: [String]

    init(report: RunReport, config: KindredConfig, stages: [(name: String, seconds: Double)],
         statistics: SimilarityEngine.Statistics, runID: Int64?, jsonBytes: Int, options: NightlyRun.Options) {
        let d = report.dataset
        let active = d.profiles.filter(\.active).count
        var lines: [String] = []
        lines.append("profiles: \(d.profiles.count) valid (\(active) active, \(d.profiles.count - active) inactive), \(d.rejects.count) rejected rows")
        lines += RunSummary.unknownColumnLines(d)
        let ranked = (0 ..< report.matches.profileCount).filter { !report.matches.candidates(of: $0).isEmpty }.count
        lines.append("matches: \(report.matches.entries.count) rows for \(ranked) people (top \(config.topK))")
        let support = report.assignments.filter { $0.kind == .support }.count
        lines.append("assignments: \(support) support, \(report.assignments.count - support) peer pairs (mode \(config.assignmentMode.rawValue))")
        lines.append("groups: \(report.groups.count)")
        if !report.incumbency.isEmpty {
            let kept = report.incumbency.filter(\.kept).count
            lines.append("current decisions: \(kept) kept, \(report.incumbency.count - kept) ended (see the incumbency table)")
        }
        let byStage = Dictionary(grouping: report.unmatched, by: \.stage)
        lines.append("unmatched: ranking \(byStage[.ranking]?.count ?? 0), assignment \(byStage[.assignment]?.count ?? 0), group \(byStage[.group]?.count ?? 0)")
        let total = stages.reduce(0) { $0 + $1.seconds }
        lines.append("time: " + stages.map { "\($0.name) \(RunSummary.seconds($0.seconds))" }.joined(separator: ", ")
                     + ", total \(RunSummary.seconds(total))")
        let rankSeconds = stages.first { $0.name == "rank" }?.seconds ?? 0
        if rankSeconds > 0 {
            lines.append(String(format: "similarity: %@ kernel, %.3g pairs scored (%.3g/s), %d dense + %d sparse columns, %.1f GFLOP/s dense, %.3g sparse hits, %d of %d tiles skipped",
                                statistics.kernel.rawValue, statistics.pairsScored, statistics.pairsScored / rankSeconds,
                                statistics.denseColumns, statistics.sparseColumns, statistics.flops / rankSeconds / 1e9,
                                statistics.sparseHits, statistics.blocksSkipped, statistics.blocksSkipped + statistics.blocksComputed))
        }
        var outputs: [String] = []
        if let db = options.database { outputs.append("\(db) (run \(runID.map(String.init) ?? "?"))") }
        if let json = options.json { outputs.append("\(json) (\(jsonBytes) bytes)") }
        lines.append("outputs: " + (outputs.isEmpty ? "none" : outputs.joined(separator: ", ")))
        self.lines = lines
    }

    init(lines: [String]) { self.lines = lines }

    static func unknownColumnLines(_ d: Dataset) -> [String] {
        d.unknownColumns.map { "unknown columns ignored in \($0.file): \($0.columns.joined(separator: ", "))" }
    }

    static func seconds(_ s: Double) -> String { String(format: "%.2f s", s) }

    public var description: String { lines.joined(separator: "\n") }
}

/// `kindred validate`: reads the inputs, reports, writes nothing.
public enum Validate {
    public struct Result: Sendable {
        public var summary: RunSummary
        public var rejects: [Reject]
    }

    public static func run(profiles: String, tags: String, exclusions: String?, config: String?,
                           current: String? = nil) throws -> Result {
        let input = try Inputs.load(profiles: profiles, tags: tags, exclusions: exclusions, config: config, current: current)
        let d = input.dataset
        let active = d.profiles.filter(\.active).count
        var lines = ["profiles: \(d.profiles.count) valid (\(active) active, \(d.profiles.count - active) inactive)",
                     "tags: \(d.tags.reduce(0) { $0 + $1.count }) kept, \(d.tagNames.count) distinct",
                     "exclusions: \(d.exclusions.count) pairs",
                     "current decisions: \(input.incumbency.pairs.count) pairings, \(input.incumbency.groups.count) groups",
                     "rejected rows: \(d.rejects.count)"]
        lines += RunSummary.unknownColumnLines(d)
        return Result(summary: RunSummary(lines: lines), rejects: d.rejects)
    }
}
