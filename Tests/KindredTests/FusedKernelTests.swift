import CFusedKernel
import Testing
import KindredCore
@testable import KindredSimilarity
import KindredVectorize

/// The fused dense kernel (`CFusedKernel`) against definitions written here:
/// the packed layout element by element, the scores and flags of both
/// variants (AVX2, AVX-512) against a double-precision product and against
/// each other, and the engine's rankings against the `sgemm` path and the
/// naive reference. Skipped where the CPU lacks AVX2 or FMA
/// (the engine then never calls the kernel).
@Suite(.enabled(if: FusedScratch.isSupported, "the CPU has no AVX2/FMA: the fused kernel is never used"))
struct FusedKernelTests {
    /// Reproducible floats in [0, 1) (xorshift64*).
    struct Floats {
        var state: UInt64
        mutating func next() -> Float {
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return Float((state &* 0x2545_F491_4F6C_DD1D) >> 40) / Float(1 << 24)
        }
    }

    /// `count` unit-norm rows of `k` floats, about 30% of entries non-zero.
    static func rows(_ count: Int, _ k: Int, _ random: inout Floats) -> [Float] {
        var out = [Float](repeating: 0, count: count * k)
        for r in 0 ..< count {
            var norm: Float = 0
            for p in 0 ..< k where random.next() < 0.3 {
                out[r * k + p] = random.next() + 0.01
                norm += out[r * k + p] * out[r * k + p]
            }
            if norm == 0 { out[r * k] = 1; norm = 1 }
            for p in 0 ..< k { out[r * k + p] /= norm.squareRoot() }
        }
        return out
    }

    static func packed(_ rows: [Float], count: Int, k: Int) -> UnsafeMutablePointer<Float> {
        let strips = (count + 15) / 16
        let out = UnsafeMutableRawPointer.allocate(byteCount: max(1, strips * 16 * k) * 4, alignment: 32)
            .bindMemory(to: Float.self, capacity: max(1, strips * 16 * k))
        rows.withUnsafeBufferPointer { kindred_fused_pack_b($0.baseAddress!, count, k, out) }
        return out
    }

    @Test(arguments: [(1, 3), (16, 8), (32, 124), (37, 124), (100, 17), (512, 130)])
    func packingPutsEveryElementWhereTheLayoutSays(count: Int, k: Int) {
        var random = Floats(state: UInt64(count * 1000 + k))
        let rows = Self.rows(count, k, &random)
        let out = Self.packed(rows, count: count, k: k)
        defer { UnsafeMutableRawPointer(out).deallocate() }
        var mismatches = 0
        for s in 0 ..< (count + 15) / 16 {
            for p in 0 ..< k {
                for j in 0 ..< 16 {
                    let r = s * 16 + j
                    let expected: Float = r < count ? rows[r * k + p] : 0
                    if out[(s * k + p) * 16 + j].bitPattern != expected.bitPattern { mismatches += 1 }
                }
            }
        }
        #expect(mismatches == 0)
    }

    /// The kernel variants this CPU runs: AVX2, and AVX-512 where it has it.
    static let variants = FusedScratch.isAVX512Supported ? [false, true] : [false]

    static func scores(avx512: Bool, _ a: UnsafePointer<Float>, _ m: Int, _ packedB: UnsafePointer<Float>, _ n: Int, _ k: Int,
                       _ rowThreshold: [Float], _ columnThreshold: [Float], _ out: inout [Float], _ stride: Int,
                       _ mask: inout [UInt64], _ maskWords: Int) -> Int {
        avx512 ? kindred_fused_scores_avx512(a, m, packedB, n, k, rowThreshold, columnThreshold, &out, stride, &mask, maskWords)
            : kindred_fused_scores(a, m, packedB, n, k, rowThreshold, columnThreshold, &out, stride, &mask, maskWords)
    }

    @Test(arguments: [(1, 1, 4), (7, 9, 5), (6, 16, 124), (100, 37, 17), (256, 512, 124), (13, 500, 130), (12, 48, 40), (13, 40, 600), (20, 70, 513)],
          variants)
    func scoresAndFlagsAgreeWithADoubleProduct(shape: (m: Int, n: Int, k: Int), avx512: Bool) {
        let (m, n, k) = shape
        var random = Floats(state: UInt64(m * 7919 + n * 31 + k))
        let a = Self.rows(m, k, &random), b = Self.rows(n, k, &random)
        let packedB = Self.packed(b, count: n, k: k)
        defer { UnsafeMutableRawPointer(packedB).deallocate() }
        let rowsPadded = (m + 5) / 6 * 6, stride = (n + 15) / 16 * 16, maskWords = (stride / 8 + 63) / 64
        // Thresholds around the scores' range, a few infinite, +inf on the padding.
        var rowThreshold = [Float](repeating: .infinity, count: rowsPadded)
        for i in 0 ..< m where random.next() > 0.1 { rowThreshold[i] = 0.3 + 0.6 * random.next() }
        var columnThreshold = [Float](repeating: .infinity, count: stride)
        for j in 0 ..< n where random.next() > 0.1 { columnThreshold[j] = 0.3 + 0.6 * random.next() }
        var out = [Float](repeating: .nan, count: rowsPadded * stride)
        var mask = [UInt64](repeating: .max, count: rowsPadded * maskWords)
        let reached = a.withUnsafeBufferPointer { ap in
            Self.scores(avx512: avx512, ap.baseAddress!, m, packedB, n, k, rowThreshold, columnThreshold,
                        &out, stride, &mask, maskWords)
        }
        let tolerance = 1e-5
        func score(_ i: Int, _ j: Int) -> Double {
            (0 ..< k).reduce(0.0) { $0 + Double(a[i * k + $1]) * Double(b[j * k + $1]) }
        }
        func flagged(_ i: Int, _ group: Int) -> Bool { mask[i * maskWords + group / 64] >> UInt64(group % 64) & 1 == 1 }
        var flags = 0, clear = 0, wrongFlags = 0, wrongScores = 0, strayWrites = 0
        for i in 0 ..< m {
            for group in 0 ..< (n + 7) / 8 {
                let columns = group * 8 ..< min(n, group * 8 + 8)
                let limits = columns.map { Double(min(rowThreshold[i], columnThreshold[$0])) }
                let scores = columns.map { score(i, $0) }
                let surely = zip(scores, limits).contains { $0 >= $1 + tolerance }
                let possibly = zip(scores, limits).contains { $0 >= $1 - tolerance }
                if flagged(i, group) {
                    flags += 1
                    if !possibly { wrongFlags += 1 }
                    for (c, s) in zip(columns, scores) where !(abs(Double(out[i * stride + c]) - s) <= tolerance) { wrongScores += 1 }
                } else {
                    clear += 1
                    if surely { wrongFlags += 1 }
                }
            }
        }
        // Micro-tiles with no flag are not written (up to one k-block; past
        // that they hold partial sums); padding rows never flagged.
        let kBlocked = k > Int(KINDRED_FUSED_KC)
        var tilesWithFlags = 0
        for s in 0 ..< rowsPadded / 6 {
            for cs in 0 ..< stride / 16 {
                let rowsOfTile = s * 6 ..< min(m, s * 6 + 6)
                let any = rowsOfTile.contains { flagged($0, cs * 2) || flagged($0, cs * 2 + 1) }
                if any { tilesWithFlags += 1; continue }
                if kBlocked { continue }
                for i in rowsOfTile { for c in cs * 16 ..< cs * 16 + 16 where !out[i * stride + c].isNaN { strayWrites += 1 } }
            }
        }
        for i in m ..< rowsPadded { for w in 0 ..< maskWords where mask[i * maskWords + w] != 0 { wrongFlags += 1 } }
        #expect(wrongFlags == 0)
        #expect(wrongScores == 0)
        #expect(strayWrites == 0)
        #expect(reached == tilesWithFlags)
        if m * n >= 100 { #expect(flags > 0 && clear > 0) }  // the data exercises both outcomes
    }

    /// Each score's FMAs run in the same order in both variants, so their
    /// outputs are equal bit for bit: scores, flags and counts.
    @Test(.enabled(if: FusedScratch.isAVX512Supported, "the CPU has no AVX-512 F"),
          arguments: [(1, 1, 4), (7, 9, 5), (6, 16, 124), (100, 37, 17), (256, 512, 124), (13, 500, 130), (12, 48, 40), (13, 40, 600), (20, 70, 513)])
    func avx512VariantGivesTheAVX2VariantsBits(m: Int, n: Int, k: Int) {
        var random = Floats(state: UInt64(m * 31 + n * 7 + k))
        let a = Self.rows(m, k, &random), b = Self.rows(n, k, &random)
        let packedB = Self.packed(b, count: n, k: k)
        defer { UnsafeMutableRawPointer(packedB).deallocate() }
        let rowsPadded = (m + 5) / 6 * 6, stride = (n + 15) / 16 * 16, maskWords = (stride / 8 + 63) / 64
        var rowThreshold = [Float](repeating: .infinity, count: rowsPadded)
        for i in 0 ..< m { rowThreshold[i] = random.next() < 0.2 ? .infinity : 0.2 + 0.7 * random.next() }
        var columnThreshold = [Float](repeating: .infinity, count: stride)
        for j in 0 ..< n { columnThreshold[j] = random.next() < 0.2 ? .infinity : 0.2 + 0.7 * random.next() }
        var outputs: [([Float], [UInt64], Int)] = []
        for avx512 in [false, true] {
            var out = [Float](repeating: .nan, count: rowsPadded * stride)
            var mask = [UInt64](repeating: .max, count: rowsPadded * maskWords)
            let reached = a.withUnsafeBufferPointer {
                Self.scores(avx512: avx512, $0.baseAddress!, m, packedB, n, k, rowThreshold, columnThreshold,
                            &out, stride, &mask, maskWords)
            }
            outputs.append((out, mask, reached))
        }
        #expect(outputs[0].0.map(\.bitPattern) == outputs[1].0.map(\.bitPattern))
        #expect(outputs[0].1 == outputs[1].1)
        #expect(outputs[0].2 == outputs[1].2)
    }

    @Test(arguments: [8, 64, 512, 4096], [1, 2])
    func fusedAndSgemmPathsRankAlike(block: Int, threads: Int) {
        let d = TestSupport.randomDataset(seed: 91, count: 420, vocabulary: 24)
        let f = Vectorizer.build(d, weights: .defaults)
        var o = SimilarityEngine.Options(topK: 7, threads: threads)
        o.block = block
        o.kernel = .dense
        let (fused, fusedStats) = SimilarityEngine.rank(d, features: f, rules: CompiledRules(d), options: o)
        o.fusedAVX512 = false
        let (avx2, avx2Stats) = SimilarityEngine.rank(d, features: f, rules: CompiledRules(d), options: o)
        o.fusedKernel = false
        let (plain, plainStats) = SimilarityEngine.rank(d, features: f, rules: CompiledRules(d), options: o)
        #expect(fusedStats.fusedKernel && avx2Stats.fusedKernel && !plainStats.fusedKernel)
        #expect(fusedStats.fusedAVX512 == FusedScratch.isAVX512Supported && !avx2Stats.fusedAVX512)
        #expect(fused == plain)
        #expect(avx2 == plain)
        if block == 64 && threads == 2 { SimilarityTests.checkAgainstReference(d, fused, weights: .defaults, k: 7) }
    }
}
