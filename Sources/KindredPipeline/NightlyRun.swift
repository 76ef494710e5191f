import Foundation
import KindredCore
import KindredDecide
import KindredExport
import KindredIngest
import KindredSimilarity
import KindredVectorize

/// The engine's version, written to every run.
public let engineVersion = "1.0.0"

/// The nightly job end to end: ingest, vectorise, rank, decide, export.
public enum NightlyRun {
    public struct Options: Sendable {
        public var profiles: String
        public var tags: String
        public var exclusions: String?
        public var config: String?
        /// Today's pairings and groups to keep where still allowed (`--current`).
        public var current: String?
        public var database: String?
        public var json: String?
        /// Overrides the config's `top_k` when set.
        public var topK: Int?
        /// Any reject fails the run.
        public var strict = false
        public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
        /// The similarity kernel (see ``ColumnSplit``).
        public var kernel: ColumnSplit.Kernel = .auto

        public init(profiles: String, tags: String, exclusions: String? = nil, config: String? = nil,
                    database: String? = nil, json: String? = nil) {
            self.profiles = profiles
            self.tags = tags
            self.exclusions = exclusions
            self.config = config
            self.database = database
            self.json = json
        }
    }

    /// What a run produced, for the summary and for tests.
    public struct Result: Sendable {
        public var report: RunReport
        public var summary: RunSummary
    }

    /// Runs the job. Throws ``InputError`` for fatal input, ``StrictModeError``
    /// for rejects under `--strict`, ``ExportError`` when an export fails; in
    /// every such case no output file has changed.
    public static func run(_ options: Options, log: Log = Log()) throws -> Result {
        let startedAt = Date()
        var timer = StageTimer()

        // Ingest.
        log.info("reading inputs")
        let input = try Inputs.load(profiles: options.profiles, tags: options.tags,
                                    exclusions: options.exclusions, config: options.config, current: options.current)
        var config = input.config
        if let k = options.topK { config.topK = k }
        let dataset = input.dataset
        if options.strict && !dataset.rejects.isEmpty {
            throw StrictModeError(rejects: dataset.rejects)
        }
        timer.end("ingest")

        // Vectorise; the compiled rules need only the dataset, so they are
        // built on another thread meanwhile (unless one thread was asked for).
        let compiled = Box<CompiledRules>()
        let compiling = DispatchGroup()
        if options.threads > 1 {
            DispatchQueue.global().async(group: compiling) { compiled.value = CompiledRules(dataset) }
        } else {
            compiled.value = CompiledRules(dataset)
        }
        let features = Vectorizer.build(dataset, weights: config.weights)
        compiling.wait()
        let rules = compiled.value!
        timer.end("vectorise")
        log.info("vectorised \(dataset.activeIndices.count) active profiles into \(features.dimension) features")

        // Rank: pairing candidates, plus same-role neighbours for group
        // formation, in one pool of work. Peers need both from one peer-peer
        // ranking (the top-k is a prefix of the longer list).
        let groupK = Decisions.groupNeighbourCount(config)
        var engineOptions = SimilarityEngine.Options(topK: config.topK, threads: options.threads)
        engineOptions.kernel = options.kernel
        let (ranked, stats) = SimilarityEngine.rank(
            dataset, features: features, rules: rules,
            tasks: [.init(.peer, .peer, k: max(config.topK, groupK)), .init(.seeker, .supporter, k: config.topK),
                    .init(.seeker, .seeker, k: groupK)],
            options: engineOptions, progress: log.progress("ranking"))
        if stats.denseColumns > 0 && !stats.fusedKernel, let warning = BLASThreads.coreWarning { log.info("warning: " + warning) }
        let profiles = dataset.profiles
        let matches = ranked[0].forward.truncated(to: config.topK)
            .merged(with: ranked[1].forward) { profiles[$0].role == .peer }
            .merged(with: ranked[1].backward) { profiles[$0].role != .supporter }
        let groupNeighbours = ranked[0].forward.merged(with: ranked[2].forward) { profiles[$0].role == .peer }

        // Export, first step: the `matches` rows go to SQLite on a background
        // thread while this one decides (see ``Exporter``).
        let sharedMax = config.sharedTagsMax
        let owner = matches.ownerOfEntries()
        let sharedTags = SharedTags(rows: matches.entries.count) { e, list in
            features.appendSharedTags(ofEntry: e, in: matches, owner: owner, limit: sharedMax, to: &list)
        }
        let started = Timestamp.iso8601(startedAt)
        var report = RunReport(
            startedAt: started, finishedAt: started, engineVersion: engineVersion, configJSON: ConfigJSON.render(config),
            inputSHA256: input.sha256, dataset: dataset, matches: matches, sharedTags: sharedTags,
            assignments: [], groups: [], unmatched: [])
        if options.database != nil { log.info("writing the rankings to SQLite while deciding") }
        let export = try Exporter.begin(report, databasePath: options.database, jsonPath: options.json)

        let diagnostics = RankingDiagnostics(dataset: dataset, rules: rules)
        let empty = dataset.profiles.indices.filter { dataset.profiles[$0].active && matches.candidates(of: $0).isEmpty }
        var unmatched = zip(empty, diagnostics.reasons(for: empty)).map {
            Unmatched(profile: Int32($0), stage: .ranking, reason: $1)
        }
        timer.end("rank")

        // Decide.
        let decisions = Decisions.make(dataset: dataset, matches: matches, groupNeighbours: groupNeighbours,
                                       score: { features.exactScore($0, $1) }, allowed: { rules.allows($0, $1) },
                                       row: { features.row($0) }, dimension: features.dimension,
                                       isExcluded: { rules.isExcluded($0, $1) }, incumbency: input.incumbency,
                                       config: config, threads: options.threads, timer: { timer.end($0) })
        unmatched.append(contentsOf: decisions.unmatched)
        unmatched.sort { $0.profile != $1.profile ? $0.profile < $1.profile : $0.stage < $1.stage }

        // Export, second step: the decisions, the JSON file, COMMIT.
        report.finishedAt = Timestamp.iso8601(Date())
        report.assignments = decisions.assignments
        report.groups = decisions.groups
        report.unmatched = unmatched
        report.metrics = decisions.metrics
        report.incumbency = decisions.incumbency
        log.info("writing exports")
        let outcome = try export.finish(report)
        timer.end("export")

        let summary = RunSummary(report: report, config: config, stages: timer.stages, statistics: stats,
                                 runID: outcome.runID, jsonBytes: outcome.jsonBytes, options: options)
        return Result(report: report, summary: summary)
    }
}

/// `--strict` and at least one reject: the run stops before writing.
public struct StrictModeError: Error, CustomStringConvertible {
    public var rejects: [Reject]
    public var description: String {
        "\(rejects.count) rejected row\(rejects.count == 1 ? "" : "s") and --strict is set; first: \(rejects[0])"
    }
}

/// The input files read, validated and hashed.
public struct Inputs: Sendable {
    public var dataset: Dataset
    public var config: KindredConfig
    /// SHA-256 over the bytes of profiles, tags, exclusions, config, in that order.
    public var sha256: String
    public var incumbency: Incumbency

    /// SHA-256 covers profiles, tags, exclusions, config (contract §6), then
    /// the current-decisions file when one is given.
    public static func load(profiles: String, tags: String, exclusions: String?, config: String?,
                            current: String? = nil) throws -> Inputs {
        let p = try InputFile(path: profiles)
        let t = try InputFile(path: tags)
        let e = try exclusions.map { try InputFile(path: $0) }
        let c = try config.map { try InputFile(path: $0) }
        let cur = try current.map { try InputFile(path: $0) }
        let cfg = try c.map { try ConfigLoader.load($0) } ?? KindredConfig()
        // Hash on another thread while the CSV files are parsed (about 10 ms
        // at 50,000 people with libcrypto; see ``SHA256``).
        let digest = Box<String>()
        let hashing = DispatchGroup()
        let files = [p, t, e, c, cur].compactMap { $0 }
        DispatchQueue.global().async(group: hashing) {
            let hash = SHA256()
            for file in files { hash.update(file.bytes) }
            digest.value = hash.hexDigest()
        }
        defer { hashing.wait() }
        var dataset = try Ingest.load(profiles: p, tags: t, exclusions: e)
        var incumbency = Incumbency()
        if let cur {
            var index: [String: Int32] = [:]
            for (i, profile) in dataset.profiles.enumerated() { index[profile.id] = Int32(i) }
            let (loaded, rejects, unknown) = try IncumbencyLoader.load(cur, profileIndex: index)
            incumbency = loaded
            dataset.rejects.append(contentsOf: rejects)
            if !unknown.isEmpty { dataset.unknownColumns.append((cur.name, unknown)) }
        }
        hashing.wait()
        return Inputs(dataset: dataset, config: cfg, sha256: digest.value!, incumbency: incumbency)
    }
}

/// Wall-clock time per stage.
public struct StageTimer: Sendable {
    public private(set) var stages: [(name: String, seconds: Double)] = []
    private var last = DispatchTime.now().uptimeNanoseconds

    public init() {}

    public mutating func end(_ name: String) {
        let now = DispatchTime.now().uptimeNanoseconds
        stages.append((name, Double(now - last) / 1e9))
        last = now
    }
}

enum Timestamp {
    static func iso8601(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }
}

/// A value computed on another thread: written once there, read only after
/// the `DispatchGroup` it ran in has been waited for (which orders the two).
private final class Box<Value>: @unchecked Sendable {
    var value: Value?
}
