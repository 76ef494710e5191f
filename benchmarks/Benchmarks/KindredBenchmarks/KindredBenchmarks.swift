import Benchmark
import Foundation
import KindredCore
import KindredDecide
import KindredExport
import KindredIngest
import KindredPipeline
import KindredSimilarity
import KindredVectorize

/// One benchmark per pipeline stage, on generated data made once per process.
/// Throughput figures (MB/s, rows/s, pairs/s) are recorded as custom metrics
/// next to wall-clock time. Sizes: `KINDRED_BENCH_COUNT` people (default 50,000).
let count = Int(ProcessInfo.processInfo.environment["KINDRED_BENCH_COUNT"] ?? "") ?? 50_000

/// Generated inputs for one vocabulary size, written to a temporary folder.
struct Fixture {
    let profiles: InputFile
    let tags: InputFile
    let exclusions: InputFile
    let dataset: Dataset
    let features: FeatureSpace
    let rules: CompiledRules

    init(vocabulary: Int) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kindred-benchmarks-\(vocabulary)-\(count)").path
        try! SyntheticData(count: count, seed: 42, vocabulary: vocabulary).write(to: dir)
        profiles = try! InputFile(path: dir + "/profiles.csv")
        tags = try! InputFile(path: dir + "/tags.csv")
        exclusions = try! InputFile(path: dir + "/exclusions.csv")
        dataset = try! Ingest.load(profiles: profiles, tags: tags, exclusions: exclusions)
        features = Vectorizer.build(dataset, weights: .defaults)
        rules = CompiledRules(dataset)
    }
}

nonisolated(unsafe) var fixtures: [Int: Fixture] = [:]
func fixture(_ vocabulary: Int) -> Fixture {
    if let f = fixtures[vocabulary] { return f }
    let f = Fixture(vocabulary: vocabulary)
    fixtures[vocabulary] = f
    return f
}

/// A whole run's report (matches, decisions) for the export benchmarks.
func report(_ f: Fixture) -> RunReport {
    let k = 10
    let (matches, _) = SimilarityEngine.rank(f.dataset, features: f.features, rules: f.rules,
                                             options: .init(topK: k, threads: 2))
    let owner = matches.ownerOfEntries()
    let features = f.features
    let shared = SharedTags(rows: matches.entries.count) { e, list in
        features.appendSharedTags(ofEntry: e, in: matches, owner: owner, limit: 5, to: &list)
    }
    return RunReport(startedAt: "2026-01-01T00:00:00Z", finishedAt: "2026-01-01T00:00:00Z", engineVersion: "bench",
                     configJSON: ConfigJSON.render(KindredConfig()), inputSHA256: "", dataset: f.dataset,
                     matches: matches, sharedTags: shared, assignments: [], groups: [], unmatched: [])
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .peakMemoryResident],
                                           maxDuration: .seconds(20), maxIterations: 5)

    Benchmark("CSV ingest (profiles + tags + exclusions)",
              configuration: .init(metrics: [.wallClock, .custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)])) { b in
        let f = fixture(2000)
        let bytes = f.profiles.bytes.count + f.tags.bytes.count + f.exclusions.bytes.count
        let start = Date()
        for _ in b.scaledIterations {
            blackHole(try Ingest.load(profiles: f.profiles, tags: f.tags, exclusions: f.exclusions))
        }
        b.measurement(.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false),
                      Int(Double(bytes * b.scaledIterations.count) / 1e6 / Date().timeIntervalSince(start)))
    }

    Benchmark("Vectorise (TF-IDF + blocks)") { b in
        let f = fixture(2000)
        for _ in b.scaledIterations { blackHole(Vectorizer.build(f.dataset, weights: .defaults)) }
    }

    for vocabulary in [2000, 256, 64] {
        for kernel in ColumnSplit.Kernel.allCases {
            Benchmark("Similarity + top-10, vocabulary \(vocabulary), \(kernel.rawValue)",
                      configuration: .init(metrics: [.wallClock, .peakMemoryResident,
                                                     .custom("Mpairs/s", polarity: .prefersLarger, useScalingFactor: false)],
                                           maxIterations: 3)) { b in
                let f = fixture(vocabulary)
                var options = SimilarityEngine.Options(topK: 10, threads: 2)
                options.kernel = kernel
                let start = Date()
                var pairs = 0.0
                for _ in b.scaledIterations {
                    let (m, s) = SimilarityEngine.rank(f.dataset, features: f.features, rules: f.rules, options: options)
                    blackHole(m)
                    pairs += s.pairsScored
                }
                b.measurement(.custom("Mpairs/s", polarity: .prefersLarger, useScalingFactor: false),
                              Int(pairs / 1e6 / Date().timeIntervalSince(start)))
            }
        }
    }

    Benchmark("SQLite export (one run appended)",
              configuration: .init(metrics: [.wallClock, .custom("rows/s", polarity: .prefersLarger, useScalingFactor: false)])) { b in
        let r = report(fixture(2000))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kindred-bench-sqlite").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var seconds = 0.0
        for n in b.scaledIterations {
            let path = dir + "/run\(n).sqlite"
            try? FileManager.default.removeItem(atPath: path)
            let start = Date()
            b.startMeasurement()
            blackHole(try Exporter.write(r, databasePath: path, jsonPath: nil))
            b.stopMeasurement()
            seconds += Date().timeIntervalSince(start)
        }
        b.measurement(.custom("rows/s", polarity: .prefersLarger, useScalingFactor: false),
                      Int(Double(r.matches.entries.count * b.scaledIterations.count) / seconds))
    }

    Benchmark("JSON export (render)",
              configuration: .init(metrics: [.wallClock, .custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)])) { b in
        let r = report(fixture(2000))
        var bytes = 0
        let start = Date()
        for _ in b.scaledIterations {
            let out = JSONExport.render(r)
            bytes += out.count
            blackHole(out)
        }
        b.measurement(.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false),
                      Int(Double(bytes) / 1e6 / Date().timeIntervalSince(start)))
    }
}
