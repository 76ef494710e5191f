import CBLAS
import Dispatch
import Foundation
import KindredCore
import KindredIngest
import KindredSimilarity
import KindredVectorize

/// `kindred bench`: the similarity core on generated data, next to plain
/// `cblas_sgemm` on the same shapes, so the ratio to the machine's limit shows.
public enum Bench {
    public struct Options: Sendable {
        public var count: Int
        public var vocabulary: Int
        public var tagsPerPerson: Double
        public var topK: Int
        public var threads: Int
        public var seed: UInt64
        public var repeats: Int
        /// Kernels to time; each gets a line.
        public var kernels: [ColumnSplit.Kernel] = [.auto]
        public var block: Int = 512
        /// ``SimilarityEngine/Options/fusedKernel``.
        public var fusedKernel = true
        /// ``SimilarityEngine/Options/fusedAVX512``.
        public var fusedAVX512 = true

        public init(count: Int, vocabulary: Int, tagsPerPerson: Double, topK: Int, threads: Int, seed: UInt64, repeats: Int) {
            self.count = count
            self.vocabulary = vocabulary
            self.tagsPerPerson = tagsPerPerson
            self.topK = topK
            self.threads = threads
            self.seed = seed
            self.repeats = repeats
        }
    }

    /// Runs the bench and returns the lines it prints. The timed work is the
    /// pairing ranking (peers with peers, seekers with supporters and back),
    /// i.e. what fills the `matches` table.
    public static func run(_ o: Options, log: Log) throws -> [String] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kindred-bench-\(ProcessInfo.processInfo.processIdentifier)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        log.info("generating \(o.count) profiles, vocabulary \(o.vocabulary)")
        try SyntheticData(count: o.count, seed: o.seed, vocabulary: o.vocabulary, tagsPerPerson: o.tagsPerPerson).write(to: dir)
        let input = try Inputs.load(profiles: dir + "/profiles.csv", tags: dir + "/tags.csv", exclusions: dir + "/exclusions.csv", config: nil)
        let features = Vectorizer.build(input.dataset, weights: input.config.weights)
        let rules = CompiledRules(input.dataset)
        var lines = ["machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, BLAS: \(BLASThreads.implementation)",
                     "data: \(o.count) profiles (\(input.dataset.activeIndices.count) active), vocabulary \(o.vocabulary), \(features.dimension) features, top-k \(o.topK), threads \(o.threads), block \(o.block)"]
        if let warning = BLASThreads.coreWarning { lines.insert("warning: " + warning, at: 1) }
        for kernel in o.kernels {
            var options = SimilarityEngine.Options(topK: o.topK, threads: o.threads)
            options.kernel = kernel
            options.fusedKernel = o.fusedKernel
            options.fusedAVX512 = o.fusedAVX512
            options.block = o.block
            var best = Double.infinity, bestTiles = Double.infinity
            var stats = SimilarityEngine.Statistics()
            // Plain sgemm is measured after every repeat, for half a second at
            // each shape, and its best is kept: on a shared machine a single
            // measurement taken in a slow moment made the ratio exceed 100%.
            var tileShape = 0.0, panelShape = 0.0
            for r in 0 ..< o.repeats {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let (_, s) = SimilarityEngine.rank(input.dataset, features: features, rules: rules, options: options)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                log.info("\(kernel.rawValue) repeat \(r + 1): \(String(format: "%.3f", seconds)) s (tile loop \(String(format: "%.3f", s.tileSeconds)) s)")
                if seconds < best {
                    best = seconds
                    stats = s
                }
                bestTiles = min(bestTiles, s.tileSeconds)
                if s.denseColumns > 0 {
                    let panel = min(o.block, SimilarityEngine.panelRows(s.kernel))
                    tileShape = max(tileShape, plainSGEMM(m: o.block, n: o.block, k: s.denseColumns, threads: o.threads, seconds: 0.5))
                    panelShape = max(panelShape, plainSGEMM(m: panel, n: o.block, k: s.denseColumns, threads: o.threads, seconds: 0.5))
                }
            }
            let label = kernel == .auto ? "auto (\(stats.kernel.rawValue))" : kernel.rawValue
            lines.append(String(format: "%@: similarity + top-k %.3f s (best of %d; setup %.3f s, tile loop %.3f s, exact rescoring %.3f s), %.3g pairs/s, %d dense + %d sparse columns, %.3g sparse hits/s, %.2f%% of scores reached the scalar checks (margin %d micro)",
                                label, best, o.repeats, stats.setupSeconds, stats.tileSeconds, stats.finishSeconds,
                                stats.pairsScored / best, stats.denseColumns, stats.sparseColumns, stats.sparseHits / best,
                                100 * stats.reachedScalarChecks / max(1, stats.pairsScored), stats.marginMicro))
            if stats.denseColumns > 0 {
                // Plain sgemm at the tile shape and at the shape the core calls
                // (one panel); the ratio is taken against the faster of the two.
                let fused = stats.flops / bestTiles / 1e9
                lines.append(String(format: "  dense path (%@): %.1f GFLOP/s in the fused tile loop (best of %d), %.1f GFLOP/s end to end",
                                    stats.fusedKernel ? (stats.fusedAVX512 ? "fused kernel, AVX-512" : "fused kernel, AVX2") : "sgemm + panel scan",
                                    fused, o.repeats, stats.flops / best / 1e9))
                lines.append(String(format: "  plain sgemm on %d threads (best of %d): %.1f GFLOP/s at the tile shape (%d x %d x %d), %.1f GFLOP/s at the core's call shape (%d x %d x %d)",
                                    o.threads, o.repeats, tileShape, o.block, o.block, stats.denseColumns, panelShape,
                                    min(o.block, SimilarityEngine.panelRows(stats.kernel)), o.block, stats.denseColumns))
                lines.append(String(format: "  fused tile loop reaches %.0f%% of plain sgemm (end to end, with setup and exact rescoring: %.0f%%)",
                                    100 * fused / max(tileShape, panelShape), 100 * stats.flops / best / 1e9 / max(tileShape, panelShape)))
            }
        }
        return lines
    }

    /// GFLOP/s of `threads` concurrent single-threaded sgemm calls of one shape,
    /// which is exactly how the core calls BLAS.
    public static func plainSGEMM(m: Int, n: Int, k: Int, threads: Int, seconds: Double) -> Double {
        BLASThreads.set(1)
        let a = [Float](repeating: 0.01, count: m * k)
        let b = [Float](repeating: 0.02, count: n * k)
        let total = DispatchTime.now().uptimeNanoseconds
        let flops = LockedTotal(0.0)
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            var c = [Float](repeating: 0, count: m * n)
            var done = 0.0
            let start = DispatchTime.now().uptimeNanoseconds
            while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1,
                            a, Int32(k), b, Int32(k), 0, &c, Int32(n))
                done += 2 * Double(m) * Double(n) * Double(k)
            }
            flops.add(done)
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - total) / 1e9
        return flops.value / elapsed / 1e9
    }
}

/// A lock-protected sum of the bench workers' flops.
final class LockedTotal: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Double
    init(_ value: Double) { stored = value }
    var value: Double { lock.lock(); defer { lock.unlock() }; return stored }
    func add(_ x: Double) { lock.lock(); stored += x; lock.unlock() }
}
