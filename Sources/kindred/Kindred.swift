import ArgumentParser
import Foundation
import KindredPipeline
import KindredSimilarity

/// The `kindred` command line: argument parsing only; all work is library code.
@main
struct Kindred: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kindred",
        abstract: "Peer-support matching: rank, pair and group people from CSV, export to SQLite and JSON.",
        version: engineVersion,
        subcommands: [Run.self, ValidateInputs.self, Generate.self, BenchCommand.self])
}

struct InputOptions: ParsableArguments {
    @Option(help: "profiles.csv (required).") var profiles: String
    @Option(help: "tags.csv (required).") var tags: String
    @Option(help: "exclusions.csv (optional).") var exclusions: String?
    @Option(help: "Config file (TOML); see docs/Config.md.") var config: String?
}

/// Prints a fatal error on standard error and exits non-zero.
func fail(_ error: Error) -> ExitCode {
    FileHandle.standardError.write(Data("kindred: error: \(error)\n".utf8))
    return ExitCode(1)
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The nightly job: ingest, vectorise, rank, assign, group, export.")

    @OptionGroup var inputs: InputOptions
    @Option(help: "Current pairings and groups (CSV) to keep where still allowed; see docs/Formats.md.") var current: String?
    @Option(help: "SQLite database to append the run to (created if missing).") var db: String?
    @Option(help: "JSON file to write (replaced whole).") var json: String?
    @Option(name: .customLong("top-k"), help: "Candidates per person (default: config top_k, else 10).") var topK: Int?
    @Flag(help: "Fail the run if any row is rejected.") var strict = false
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Flag(help: "No progress lines on standard error.") var quiet = false
    @Option(help: "Similarity kernel: auto (default), hybrid, dense or sparse. Results are identical.") var kernel = "auto"

    func validate() throws {
        if db == nil && json == nil { throw ValidationError("give --db, --json or both") }
        if let topK, !(1 ... 1000).contains(topK) { throw ValidationError("--top-k must be between 1 and 1000") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if ColumnSplit.Kernel(rawValue: kernel) == nil { throw ValidationError("--kernel must be auto, hybrid, dense or sparse") }
    }

    func run() throws {
        var o = NightlyRun.Options(profiles: inputs.profiles, tags: inputs.tags, exclusions: inputs.exclusions,
                                   config: inputs.config, database: db, json: json)
        o.topK = topK
        o.strict = strict
        o.current = current
        o.kernel = ColumnSplit.Kernel(rawValue: kernel)!
        if let threads { o.threads = threads }
        do {
            let result = try NightlyRun.run(o, log: Log(quiet: quiet))
            print(result.summary)
        } catch {
            throw fail(error)
        }
    }
}

struct ValidateInputs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check the inputs; print the summary and rejects; write nothing.")

    @OptionGroup var inputs: InputOptions
    @Option(help: "Current pairings and groups (CSV), checked too.") var current: String?
    @Flag(help: "Exit non-zero if any row is rejected.") var strict = false

    func run() throws {
        do {
            let result = try Validate.run(profiles: inputs.profiles, tags: inputs.tags,
                                          exclusions: inputs.exclusions, config: inputs.config, current: current)
            print(result.summary)
            for r in result.rejects { print("reject: \(r)") }
            if strict && !result.rejects.isEmpty { throw ExitCode(1) }
        } catch let e as ExitCode {
            throw e
        } catch {
            throw fail(error)
        }
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write realistic synthetic profiles.csv, tags.csv, exclusions.csv.")

    @Option(help: "Number of people.") var count: Int
    @Option(help: "Random seed (same seed, same files).") var seed: UInt64
    @Option(help: "Output folder (created if missing).") var out: String
    @Option(help: "Distinct tags to draw from.") var vocabulary = 2000
    @Option(name: .customLong("tags-per-person"), help: "Mean tags per person.") var tagsPerPerson = 8.0

    func validate() throws {
        if count < 1 { throw ValidationError("--count must be at least 1") }
        if vocabulary < 1 { throw ValidationError("--vocabulary must be at least 1") }
        if !(tagsPerPerson >= 1) { throw ValidationError("--tags-per-person must be at least 1") }
    }

    func run() throws {
        do {
            try SyntheticData(count: count, seed: seed, vocabulary: vocabulary, tagsPerPerson: tagsPerPerson).write(to: out)
            print("wrote \(out)/profiles.csv, \(out)/tags.csv, \(out)/exclusions.csv (\(count) people)")
        } catch {
            throw fail(error)
        }
    }
}

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmark the similarity core on generated data of a chosen shape.")

    @Option(help: "Number of people.") var count = 20000
    @Option(help: "Distinct tags.") var vocabulary = 2000
    @Option(name: .customLong("tags-per-person"), help: "Mean tags per person.") var tagsPerPerson = 8.0
    @Option(name: .customLong("top-k")) var topK = 10
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Option var seed: UInt64 = 1
    @Option(help: "Timed repeats; the best is reported.") var repeats = 3
    @Option(help: "Kernel: auto, hybrid, dense, sparse or all.") var kernel = "all"
    @Option(help: "Rows per block (tiles are block x block).") var block = 512
    @Flag(inversion: .prefixedNo,
          help: "The dense kernel's fused scores-and-test kernel where the CPU has AVX2 and FMA (--no-fused: sgemm and the panel scan).")
    var fused = true
    @Flag(inversion: .prefixedNo,
          help: "The fused kernel's AVX-512 variant where the CPU has AVX-512 F (--no-avx512: the AVX2 variant).")
    var avx512 = true

    func validate() throws {
        if kernel != "all" && ColumnSplit.Kernel(rawValue: kernel) == nil {
            throw ValidationError("--kernel must be auto, hybrid, dense, sparse or all")
        }
        if count < 2 || repeats < 1 || !(8 ... 65536).contains(block) { throw ValidationError("check --count, --repeats and --block") }
        if !(1 ... 1000).contains(topK) { throw ValidationError("--top-k must be between 1 and 1000") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if vocabulary < 1 || !(tagsPerPerson >= 1) { throw ValidationError("check --vocabulary and --tags-per-person") }
    }

    func run() throws {
        var o = Bench.Options(count: count, vocabulary: vocabulary, tagsPerPerson: tagsPerPerson, topK: topK,
                              threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, seed: seed, repeats: repeats)
        o.kernels = kernel == "all" ? ColumnSplit.Kernel.allCases : [ColumnSplit.Kernel(rawValue: kernel)!]
        o.block = block
        o.fusedKernel = fused
        o.fusedAVX512 = avx512
        do {
            for line in try Bench.run(o, log: Log()) { print(line) }
        } catch {
            throw fail(error)
        }
    }
}
