import CBLAS
import CFusedKernel
import KindredCore

/// One work unit: the scores of a block of class A against a block of class
/// B, and the fused offers to both sides' heaps.
///
/// The unit is done a *panel* of A rows at a time: the panel's scores
/// (`panelRows × block` floats, 256 or 512 KB at the defaults) are computed and then
/// scanned once, each 8 scores against both their row's threshold and their
/// 8 columns' thresholds, while the panel is still mostly in the core's L2
/// cache. With whole 512 × 512 tiles (1 MB, larger than Zen 3's 512 KB L2)
/// the two scans (rows, then columns) read the tile back from L3 twice.
/// Panels, one fused scan and the rule lanes made the sparse kernel about 15%
/// faster at 50,000 people; on the dense path at 64 tags the selection went
/// from 35–45% of the tile loop to about 25% (see benchmarks/README.md).
///
/// The all-dense kernel uses panels of 256 rows, the others 128. Each
/// `sgemm` call packs both of its operands, so the B block is packed once per
/// panel, and with 128 rows that packing (`sgemm_incopy`) took 8% of the
/// dense tile loop at 124 columns; with the panel kept zero (see `score`),
/// 256 rows measured 2–4 points of plain `sgemm` better at 124 and 316 dense
/// columns (six interleaved runs). The sparse kernel has no packing to save,
/// and its 512 KB panel competes with the posting lists for L2: its tile loop
/// was about 5% slower with 256 rows (0.418–0.436 s against 0.382–0.421 s at
/// 256 tags, four interleaved runs).
///
/// On the all-dense kernel, where the CPU has AVX2 and FMA, `sgemm` and the
/// full scan give way to the fused kernel (`runFused`): the threshold test
/// is done in registers and the scan only visits the flagged groups of 8.
struct TileKernel {
    let a: RowClass
    let b: RowClass
    let symmetric: Bool
    let heapsA: HeapSet
    let heapsB: HeapSet
    let split: ColumnSplit
    let rules: CompiledRules
    /// Scratch of `panelRows × block` floats: one panel of scores. It is all
    /// zeros between panels: `score` accumulates onto it and `scan` zeroes
    /// each row once it has read it (see `score`).
    let tile: UnsafeMutablePointer<Float>
    /// Scratch of `block` floats: the panel's column thresholds.
    let columnThreshold: UnsafeMutablePointer<Float>
    /// The fused kernel's buffers when it replaces `sgemm` and the full scan
    /// (the all-dense kernel on a CPU with AVX2 and FMA), else nil. One
    /// ranking uses one path: the fused one leaves `tile` dirty.
    let fused: FusedScratch?

    /// Rows of A per panel for a kernel (see above), and the most of any.
    static func panelRows(_ kernel: ColumnSplit.Kernel) -> Int { kernel == .dense ? 256 : 128 }
    static let maxPanelRows = 256

    func run(blockA: Int, blockB: Int, stats: inout SimilarityEngine.Statistics) {
        let ra = a.blockRange(blockA), rb = b.blockRange(blockB)
        stats.blocksComputed += 1
        stats.pairsScored += Double(ra.count) * Double(rb.count)
        let diagonal = symmetric && blockA == blockB
        if let fused {
            runFused(fused, blockA: blockA, blockB: blockB, diagonal: diagonal, stats: &stats)
            return
        }
        let panelRows = TileKernel.panelRows(split.kernel)
        var start = ra.lowerBound
        while start < ra.upperBound {
            let panel = start ..< min(ra.upperBound, start + panelRows)
            score(rows: panel, columns: rb, blockB: blockB, stats: &stats)
            // Lock order: A's block, then B's. For a symmetric task (one heap
            // set) units have blockA < blockB; otherwise the sets differ. A
            // worker that holds a B lock never waits, so there is no cycle.
            let checked = withLocks(blockA, blockB, diagonal: diagonal) {
                scan(rows: panel, columns: rb, blockA: blockA, blockB: blockB, diagonal: diagonal)
            }
            stats.reachedScalarChecks += Double(checked)
            start = panel.upperBound
        }
    }

    /// Runs `body` holding A's block lock and, off the diagonal, B's.
    @inline(__always)
    private func withLocks<R>(_ blockA: Int, _ blockB: Int, diagonal: Bool, _ body: () -> R) -> R {
        heapsA.withBlock(blockA) { diagonal ? body() : heapsB.withBlock(blockB, body) }
    }

    /// The all-dense unit through the fused kernel: per panel, the scores are
    /// computed and tested against a snapshot of the thresholds in registers
    /// (`kindred_fused_scores`), and only the groups of 8 that hold a score
    /// reaching one are written to `tile` and visited by ``scan``.
    ///
    /// The snapshot is taken under the locks and may be stale by the scan:
    /// thresholds only rise, so a stale one lets through a superset, and the
    /// scan tests every flagged group again against the current thresholds.
    /// The scores are the same dot products as `sgemm`'s in another order,
    /// within the margin's float error (``HeapSet/margin(terms:)``).
    private func runFused(_ fused: FusedScratch, blockA: Int, blockB: Int, diagonal: Bool,
                          stats: inout SimilarityEngine.Statistics) {
        let ra = a.blockRange(blockA), rb = b.blockRange(blockB)
        let dd = split.denseCount, n = rb.count
        let panelRows = TileKernel.panelRows(split.kernel)
        b.dense.withUnsafeBufferPointer { kindred_fused_pack_b($0.baseAddress! + rb.lowerBound * dd, n, dd, fused.packedB) }
        var start = ra.lowerBound
        while start < ra.upperBound {
            let panel = start ..< min(ra.upperBound, start + panelRows)
            let m = panel.count
            stats.flops += 2 * Double(m) * Double(n) * Double(dd)
            withLocks(blockA, blockB, diagonal: diagonal) {
                snapshotThresholds(fused, rows: panel, columns: rb, blockA: blockA, blockB: blockB, diagonal: diagonal)
            }
            a.dense.withUnsafeBufferPointer {
                fused.scores(rows: $0.baseAddress! + panel.lowerBound * dd, m: m, n: n, dimension: dd, out: tile)
            }
            let checked = withLocks(blockA, blockB, diagonal: diagonal) {
                scan(rows: panel, columns: rb, blockA: blockA, blockB: blockB, diagonal: diagonal, fused: fused)
            }
            stats.reachedScalarChecks += Double(checked)
            start = panel.upperBound
        }
    }

    /// The thresholds ``scan`` would start the panel with, into the fused
    /// kernel's arrays, +∞ on the strips' padding. The caller holds the locks.
    private func snapshotThresholds(_ fused: FusedScratch, rows: Range<Int>, columns rb: Range<Int>,
                                    blockA: Int, blockB: Int, diagonal: Bool) {
        let bMask = b.blockMasks[blockB]
        let rowEnd = (rows.count + FusedScratch.stripRows - 1) / FusedScratch.stripRows * FusedScratch.stripRows
        for r in 0 ..< rowEnd {
            fused.rowThreshold[r] = r < rows.count ? startThreshold(row: rows.lowerBound + r, bMask) : .infinity
        }
        let columnEnd = (rb.count + FusedScratch.stripColumns - 1) / FusedScratch.stripColumns * FusedScratch.stripColumns
        startThresholds(columns: rb, blockA: blockA, diagonal: diagonal, into: fused.columnThreshold)
        (fused.columnThreshold + rb.count).update(repeating: .infinity, count: columnEnd - rb.count)
    }

    /// The threshold a panel row starts with: its heap's, or +∞ when B's
    /// block holds no possible partner for it (no shared language, the other
    /// side of the safeguarding line): it offers nothing to its own heap, and
    /// its scores still go to the columns. The caller holds A's block lock.
    @inline(__always)
    private func startThreshold(row g: Int, _ bMask: BlockMask) -> Float {
        bMask.admits(a.lanes, row: g) ? heapsA.threshold[g] : .infinity
    }

    /// The thresholds B's columns `rb` start a panel with, into `out`: their
    /// heap rows', or +∞ for a column that cannot pair with anyone in A's
    /// block and for every column of a diagonal tile (its rows are the same
    /// people). The caller holds B's block lock off the diagonal.
    private func startThresholds(columns rb: Range<Int>, blockA: Int, diagonal: Bool, into out: UnsafeMutablePointer<Float>) {
        if diagonal {
            out.update(repeating: .infinity, count: rb.count)
        } else {
            let aMask = a.blockMasks[blockA]
            for c in 0 ..< rb.count {
                out[c] = aMask.admits(b.lanes, row: rb.lowerBound + c) ? heapsB.threshold[rb.lowerBound + c] : .infinity
            }
        }
    }

    /// Fills the panel with the scores of A rows `rows` against B rows
    /// `columns`: dense columns by one `sgemm`, the age block from the
    /// per-block lookup rows, the sparse columns scattered through B's
    /// inverted lists.
    ///
    /// The panel arrives zeroed, so `sgemm` is called with beta = 1. With
    /// beta = 0 OpenBLAS first clears C in a pass of its own (`sgemm_beta`,
    /// 6-7% of the tile loop at 124 dense columns); clearing each row right
    /// after the scan has read it, while it is still in L1, costs less.
    private func score(rows: Range<Int>, columns rb: Range<Int>, blockB: Int, stats: inout SimilarityEngine.Statistics) {
        let m = rows.count, n = rb.count
        let dd = split.denseCount
        if dd > 0 {
            stats.flops += 2 * Double(m) * Double(n) * Double(dd)
            a.dense.withUnsafeBufferPointer { da in
                b.dense.withUnsafeBufferPointer { db in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(dd), 1,
                                da.baseAddress! + rows.lowerBound * dd, Int32(dd),
                                db.baseAddress! + rb.lowerBound * dd, Int32(dd), 1, tile, Int32(n))
                }
            }
        }
        if split.ageByTable {
            b.agePrefill.withUnsafeBufferPointer { prefill in
                let base = prefill.baseAddress! + blockB * 8 * b.block
                for r in 0 ..< m {
                    let band = Int(a.ageBand[rows.lowerBound + r])
                    let row = tile + r * n
                    guard band != 7 else { continue }
                    let src = base + band * b.block
                    if dd == 0 {
                        row.update(from: src, count: n)  // onto zeros: a copy
                    } else {
                        for c in 0 ..< n { row[c] += src[c] }
                    }
                }
            }
        }
        if split.sparseCount > 0 {
            let base = blockB * (split.sparseCount + 1)
            var hits = 0
            a.rowStart.withUnsafeBufferPointer { rowStart in
            a.rowColumn.withUnsafeBufferPointer { rowColumn in
            a.rowValue.withUnsafeBufferPointer { rowValue in
            b.postingStart.withUnsafeBufferPointer { pStart in
            b.postingPosition.withUnsafeBufferPointer { pPos in
            b.postingValue.withUnsafeBufferPointer { pVal in
                for r in 0 ..< m {
                    let row = tile + r * n
                    let g = rows.lowerBound + r
                    for e in Int(rowStart[g]) ..< Int(rowStart[g + 1]) {
                        let q = rowValue[e]
                        let t = base + Int(rowColumn[e])
                        let lo = Int(pStart[t]), hi = Int(pStart[t + 1])
                        hits += hi - lo
                        for p in lo ..< hi { row[Int(pPos[p])] += q * pVal[p] }
                    }
                }
            }}}}}}
            stats.sparseHits += Double(hits)
        }
    }

    /// One pass over the panel: 8 scores at a time against their row's
    /// threshold and their columns' thresholds, then the 8-lane rule
    /// prefilter, then per surviving lane the heap's own test and the exact
    /// hard rules. The caller holds A's block lock and, off the diagonal, B's.
    /// Returns how many scores passed both tests and reached the scalar checks.
    ///
    /// With `fused`, the scores are only in the groups its mask flags (at its
    /// row stride), and only those are visited; rows are not cleared.
    private func scan(rows: Range<Int>, columns rb: Range<Int>, blockA: Int, blockB: Int, diagonal: Bool,
                      fused: FusedScratch? = nil) -> Int {
        let n = rb.count
        let stride = fused?.stride ?? n
        let thr = columnThreshold
        startThresholds(columns: rb, blockA: blockA, diagonal: diagonal, into: thr)
        let bMask = b.blockMasks[blockB]
        var checked = 0
        b.lanes.language.withUnsafeBufferPointer { language in
        b.lanes.gender.withUnsafeBufferPointer { gender in
        b.lanes.flags.withUnsafeBufferPointer { flags in
        b.rows.withUnsafeBufferPointer { bRows in
            let lane = Lanes(rows: bRows.baseAddress! + rb.lowerBound, language: language.baseAddress! + rb.lowerBound,
                             gender: gender.baseAddress! + rb.lowerBound, flags: flags.baseAddress! + rb.lowerBound)
            for g in rows {
                let row = tile + (g - rows.lowerBound) * stride
                defer { if fused == nil { row.update(repeating: 0, count: n) } }  // the zero invariant of `tile`
                // Without the fused kernel every group of 8 is tested in
                // order; with it, only the flagged ones are visited, and a
                // row with none is done.
                let flags = fused.map { $0.groupMask + (g - rows.lowerBound) * $0.maskWords }
                let words = fused?.maskWords ?? 0
                if let flags, !(0 ..< words).contains(where: { flags[$0] != 0 }) { continue }
                var rowThreshold = startThreshold(row: g, bMask)
                if diagonal && rowThreshold == .infinity { continue }
                var rowThresholds = SIMD8<Float>(repeating: rowThreshold)
                let query = RuleLanes.Query(a.lanes, row: g)
                let queryFlags = a.lanes.flags[g]
                let qi = a.rows[g]
                // One group of 8 columns from `j` (fewer at the ragged end)
                // that may hold a score reaching a threshold: the 8-lane rule
                // prefilter, then per surviving lane the heap's own test and
                // the exact hard rules.
                @inline(__always) func visit(_ j: Int) {
                    var rowLanes: UInt32, columnLanes: UInt32
                    if n &- j >= 8 {
                        let v = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)
                        let t = UnsafeRawPointer(thr + j).loadUnaligned(as: SIMD8<Float>.self)
                        let admitted = RuleLanes.admitted(query, language: lane.language + j, gender: lane.gender + j,
                                                          flags: lane.flags + j)
                        rowLanes = RuleLanes.bits(RuleLanes.vector(v .>= rowThresholds) & admitted)
                        columnLanes = RuleLanes.bits(RuleLanes.vector(v .>= t) & admitted)
                    } else {
                        // The ragged end: the same tests, one lane at a time.
                        rowLanes = 0
                        for c in j ..< n where RuleLanes.admits(a.lanes, g, b.lanes, rb.lowerBound + c) {
                            rowLanes |= 1 << UInt32(c - j)
                        }
                        columnLanes = rowLanes
                    }
                    while rowLanes != 0 {
                        let c = j &+ rowLanes.trailingZeroBitCount
                        rowLanes &= rowLanes &- 1
                        guard row[c] >= rowThreshold else { continue }  // it may have risen
                        checked &+= 1
                        let ci = lane.rows[c]
                        if diagonal && ci == qi { continue }
                        let key = TopKHeaps.key(micro: TileKernel.micro(row[c]), index: ci)
                        guard heapsA.wouldAccept(g, key) else { continue }
                        if (queryFlags | lane.flags[c]) & RuleLanes.exactCheck != 0, !rules.allows(Int(qi), Int(ci)) { continue }
                        heapsA.offer(g, key)
                        rowThreshold = heapsA.threshold[g]
                        rowThresholds = SIMD8(repeating: rowThreshold)
                    }
                    while columnLanes != 0 {
                        let c = j &+ columnLanes.trailingZeroBitCount
                        columnLanes &= columnLanes &- 1
                        guard row[c] >= thr[c] else { continue }
                        checked &+= 1
                        let key = TopKHeaps.key(micro: TileKernel.micro(row[c]), index: qi)
                        let heapRow = rb.lowerBound &+ c
                        guard heapsB.wouldAccept(heapRow, key) else { continue }
                        if (queryFlags | lane.flags[c]) & RuleLanes.exactCheck != 0, !rules.allows(Int(lane.rows[c]), Int(qi)) { continue }
                        heapsB.offer(heapRow, key)
                        thr[c] = heapsB.threshold[heapRow]
                    }
                }
                if let flags {
                    for w in 0 ..< words {
                        var bits = flags[w]
                        while bits != 0 {
                            visit((w &* 64 &+ bits.trailingZeroBitCount) &* 8)
                            bits &= bits &- 1
                        }
                    }
                } else {
                    var j = 0
                    while j < n {
                        if n &- j >= 8 {
                            // The common case, ~99% of groups: two compares per
                            // half and two mask tests, no rule work.
                            let v = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)
                            let t = UnsafeRawPointer(thr + j).loadUnaligned(as: SIMD8<Float>.self)
                            if !(any(v .>= rowThresholds) || any(v .>= t)) { j &+= 8; continue }
                        }
                        visit(j)
                        j &+= 8
                    }
                }
            }
        }}}}
        return checked
    }

    /// A float score that passed a threshold (so is > 0) in micro units,
    /// rounded half up (truncation after adding 0.5 rounds positive values).
    @inline(__always)
    static func micro(_ score: Float) -> Int32 {
        max(0, Int32(Double(score) * 1_000_000 + 0.5))
    }

    /// The B block's rows from the tile's first column on.
    private struct Lanes {
        let rows: UnsafePointer<Int32>
        let language: UnsafePointer<UInt32>
        let gender: UnsafePointer<Int32>
        let flags: UnsafePointer<Int32>
    }
}
