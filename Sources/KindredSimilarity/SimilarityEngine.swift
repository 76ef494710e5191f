import CBLAS
import Dispatch
import KindredCore
import KindredVectorize
import Synchronization

/// Exact top-k under the hard rules: tiles of scores from a hybrid kernel
/// (blocked `cblas_sgemm` over the dense columns plus inverted-list
/// accumulation over the sparse ones), with the selection fused into the tile
/// loop.
///
/// ## How it works
/// 1. Active profiles are split by role into classes. A *task* ranks one class
///    against another (peers–peers, seekers–supporters, seekers–seekers); no
///    other pair of roles is ever scored (rule 2).
/// 2. Each class is cut into blocks of `block` rows, ordered so blocks are
///    homogeneous in language and safeguarding; block pairs that cannot hold an
///    allowed pair are skipped before any arithmetic (``BlockMask``).
/// 3. A work unit is one pair of blocks (a, b). Its tile of `a × b` scores is
///    computed once: `sgemm` over the dense columns (one single-threaded call),
///    then the sparse columns scattered in row by row from the b block's
///    inverted lists (``ColumnSplit`` decides which columns are which).
/// 4. The tile feeds both sides: each row of a is offered the tile's row, each
///    row of b the tile's column. Between peers score(i, j) = score(j, i), so
///    only tiles with a ≤ b are computed: half the work. Seekers and
///    supporters share one tile for both directions too.
/// 5. Offers are fused with a SIMD threshold test: 8 scores are compared with
///    the row's (or the 8 columns') current k-th best at once, and only lanes
///    that pass reach the hard rules and the heap (``HeapSet``).
/// 6. Each row keeps `k + slack` candidates by float score; at the end those
///    are rescored exactly in double precision from the sparse vectors, rounded
///    to 6 decimals, ordered by (score desc, id asc) and cut to k. The slack
///    absorbs float error at the boundary, so the stored scores and order are
///    those of the exact computation.
///
/// Results do not depend on the thread count: tiles have fixed geometry, so
/// every float is the same whatever the threads, and the final heaps do not
/// depend on the order of offers.
///
/// - Complexity: per computed tile O(a·b·dDense) flops + O(sparse hits) +
///   O(a·b) scan; memory O(n·dDense + nnz + n·(k + slack)), never N × N.
public enum SimilarityEngine {
    public struct Options: Sendable {
        /// The default k for ``rank(_:features:rules:options:progress:)``.
        public var topK: Int
        /// Worker threads; each runs single-threaded BLAS.
        public var threads: Int
        /// Rows per block (tiles are block × block).
        public var block: Int = 512
        /// Extra heap entries per row for the exact rescoring (at least 8).
        public var slack: Int = 8
        public var kernel: ColumnSplit.Kernel = .auto
        /// Column density from which the hybrid kernel goes dense.
        public var denseThreshold: Double = 0.15

        public init(topK: Int, threads: Int) {
            precondition(topK >= 1 && threads >= 1)
            self.topK = topK
            self.threads = threads
        }
    }

    /// One ranking job: rows of role `a` get their best `k` candidates of role
    /// `b`, and (when a ≠ b) rows of `b` their best `k` of role `a`.
    public struct Task: Sendable {
        public var a: Role
        public var b: Role
        public var k: Int

        public init(_ a: Role, _ b: Role, k: Int) {
            self.a = a
            self.b = b
            self.k = k
        }

        var symmetric: Bool { a == b }
    }

    /// A task's lists: `forward[i]` for rows of `a`, `backward[i]` for rows of `b`
    /// (the same object when a = b), indexed by profile.
    public struct TaskResult: Sendable {
        public var forward: RankedMatches
        public var backward: RankedMatches
    }

    /// Figures the bench and the run summary report.
    public struct Statistics: Sendable {
        /// Dense multiply-adds × 2.
        public var flops: Double = 0
        /// Pairs whose score was computed (both directions counted once).
        public var pairsScored: Double = 0
        /// Scattered multiply-adds of the sparse part.
        public var sparseHits: Double = 0
        public var blocksSkipped = 0
        public var blocksComputed = 0
        /// Scores that passed the SIMD threshold test (and reached the rules).
        public var passedThreshold: Double = 0
        public var denseColumns = 0
        public var sparseColumns = 0
        /// The kernel used (`.auto` resolved).
        public var kernel: ColumnSplit.Kernel = .auto

        public init() {}

        public static func + (a: Statistics, b: Statistics) -> Statistics {
            var s = a
            s.flops += b.flops
            s.pairsScored += b.pairsScored
            s.sparseHits += b.sparseHits
            s.blocksSkipped += b.blocksSkipped
            s.blocksComputed += b.blocksComputed
            s.passedThreshold += b.passedThreshold
            s.denseColumns = max(a.denseColumns, b.denseColumns)
            s.sparseColumns = max(a.sparseColumns, b.sparseColumns)
            s.kernel = a.kernel
            return s
        }
    }

    /// Ranks pairing candidates (contract §3 rule 2), `options.topK` each:
    /// peers with peers, seekers with supporters and back.
    public static func rank(_ dataset: Dataset, features: FeatureSpace, rules: CompiledRules,
                            options: Options,
                            progress: (@Sendable (Int, Int) -> Void)? = nil) -> (RankedMatches, Statistics) {
        let k = options.topK
        let (results, stats) = rank(dataset, features: features, rules: rules,
                                    tasks: [Task(.peer, .peer, k: k), Task(.seeker, .supporter, k: k)],
                                    options: options, progress: progress)
        let profiles = dataset.profiles
        let merged = results[0].forward.merged(with: results[1].forward) { profiles[$0].role == .peer }
            .merged(with: results[1].backward) { profiles[$0].role != .supporter }
        return (merged, stats)
    }

    /// Runs several tasks in one pool of work units.
    public static func rank(_ dataset: Dataset, features: FeatureSpace, rules: CompiledRules,
                            tasks: [Task], options: Options,
                            progress: (@Sendable (Int, Int) -> Void)? = nil) -> ([TaskResult], Statistics) {
        precondition(tasks.allSatisfy { $0.k >= 1 })
        let profiles = dataset.profiles
        var byRole: [Role: [Int32]] = [:]
        for i in profiles.indices where profiles[i].active { byRole[profiles[i].role, default: []].append(Int32(i)) }
        let active = byRole.values.reduce(0) { $0 + $1.count }
        let split = ColumnSplit(features: features, activeRows: active, kernel: options.kernel, threshold: options.denseThreshold)
        let block = options.block

        var classes: [Role: RowClass] = [:]
        for role in Set(tasks.flatMap { [$0.a, $0.b] }) {
            classes[role] = RowClass(members: byRole[role] ?? [], features: features, split: split, rules: rules, block: block)
        }

        // Heaps per task side, and the work units: block pairs, diagonal by
        // diagonal so that concurrent units rarely share a block.
        var sides: [(a: HeapSet, b: HeapSet)] = []
        var units: [Unit] = []
        var stats = Statistics()
        stats.denseColumns = split.denseCount
        stats.sparseColumns = split.sparseCount
        stats.kernel = split.kernel
        for (t, task) in tasks.enumerated() {
            let ca = classes[task.a]!, cb = classes[task.b]!
            let capacity = task.k + max(8, options.slack)
            let ha = HeapSet(rows: ca.rows.count, capacity: capacity, block: block)
            let hb = task.symmetric ? ha : HeapSet(rows: cb.rows.count, capacity: capacity, block: block)
            sides.append((ha, hb))
            let na = ca.blockCount, nb = cb.blockCount
            if task.symmetric {
                for d in 0 ..< na {
                    for x in 0 ..< na - d {
                        if BlockMask.compatible(ca.blockMasks[x], ca.blockMasks[x + d]) {
                            units.append(Unit(task: t, a: x, b: x + d))
                        } else { stats.blocksSkipped += 1 }
                    }
                }
            } else if na > 0 && nb > 0 {
                // Both classes are sorted the same way, so blocks at the same
                // relative position hold similar people: visit those pairs first
                // (thresholds rise early), then spread outwards.
                var pairs: [(x: Int, y: Int, distance: Double)] = []
                for x in 0 ..< na {
                    for y in 0 ..< nb {
                        if BlockMask.compatible(ca.blockMasks[x], cb.blockMasks[y]) {
                            pairs.append((x, y, abs((Double(x) + 0.5) / Double(na) - (Double(y) + 0.5) / Double(nb))))
                        } else { stats.blocksSkipped += 1 }
                    }
                }
                pairs.sort { $0.distance != $1.distance ? $0.distance < $1.distance : ($0.x, $0.y) < ($1.x, $1.y) }
                units += pairs.map { Unit(task: t, a: $0.x, b: $0.y) }
            }
        }

        let frozenClasses = classes, frozenSides = sides, frozenUnits = units
        let statsLock = Mutex(stats)
        let nextUnit = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        let workers = max(1, min(options.threads, units.count))
        BLASThreads.set(1)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            var local = Statistics()
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: block * block)
            let localThreshold = UnsafeMutablePointer<Float>.allocate(capacity: block)
            defer {
                tile.deallocate()
                localThreshold.deallocate()
            }
            while true {
                let u = nextUnit.wrappingAdd(1, ordering: .relaxed).oldValue
                if u >= frozenUnits.count { break }
                let unit = frozenUnits[u]
                let task = tasks[unit.task]
                TileKernel(a: frozenClasses[task.a]!, b: frozenClasses[task.b]!, symmetric: task.symmetric,
                           heapsA: frozenSides[unit.task].a, heapsB: frozenSides[unit.task].b,
                           split: split, rules: rules, tile: tile, localThreshold: localThreshold)
                    .run(blockA: unit.a, blockB: unit.b, stats: &local)
                let finished = done.wrappingAdd(1, ordering: .relaxed).oldValue + 1
                if let progress { statsLock.withLock { _ in progress(finished, frozenUnits.count) } }
            }
            statsLock.withLock { $0 = $0 + local }
        }

        // Exact rescoring and the contract's order.
        let results = tasks.indices.map { t -> TaskResult in
            let task = tasks[t]
            let forward = finish(frozenSides[t].a, rows: classes[task.a]!.rows, k: task.k, profiles: profiles.count,
                                 features: features, threads: options.threads)
            let backward = task.symmetric ? forward
                : finish(frozenSides[t].b, rows: classes[task.b]!.rows, k: task.k, profiles: profiles.count,
                         features: features, threads: options.threads)
            return TaskResult(forward: forward, backward: backward)
        }
        return (results, statsLock.withLock { $0 })
    }

    struct Unit: Sendable {
        var task: Int
        var a: Int
        var b: Int
    }

    /// Rescores each row's kept candidates exactly, orders and cuts them to k.
    private static func finish(_ heaps: HeapSet, rows: [Int32], k: Int, profiles: Int,
                               features: FeatureSpace, threads: Int) -> RankedMatches {
        let slots = ResultSlots(profiles: profiles, k: k)
        let chunk = 4096
        let chunks = (rows.count + chunk - 1) / chunk
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, chunks))) { _ in
            while true {
            let c = next.wrappingAdd(1, ordering: .relaxed).oldValue
            if c >= chunks { break }
            for r in c * chunk ..< min(rows.count, (c + 1) * chunk) {
                let qi = Int(rows[r])
                var list: [Candidate] = []
                list.reserveCapacity(heaps.heaps.count(r))
                for key in heaps.heaps.keys(r) {
                    let ci = TopKHeaps.index(of: key)
                    let score = Score(features.exactScore(qi, Int(ci)))
                    if score.micro > 0 { list.append(Candidate(index: ci, score: score)) }
                }
                list.sort(by: Candidate.ranksBefore)
                slots.store(profile: qi, list.prefix(k))
            }
            }
        }
        return slots.collect()
    }
}

/// One tile: scores of a block of class A against a block of class B, and
/// the fused offers to both sides' heaps.
struct TileKernel {
    let a: RowClass
    let b: RowClass
    let symmetric: Bool
    let heapsA: HeapSet
    let heapsB: HeapSet
    let split: ColumnSplit
    let rules: CompiledRules
    let tile: UnsafeMutablePointer<Float>
    /// Scratch of `block` floats: this tile's per-column thresholds.
    let localThreshold: UnsafeMutablePointer<Float>

    func run(blockA: Int, blockB: Int, stats: inout SimilarityEngine.Statistics) {
        let ra = a.blockRange(blockA), rb = b.blockRange(blockB)
        let m = ra.count, n = rb.count
        let dd = split.denseCount
        stats.blocksComputed += 1
        stats.pairsScored += Double(m) * Double(n)

        // 1. Dense part: one sgemm into the tile (or zeros).
        if dd > 0 {
            stats.flops += 2 * Double(m) * Double(n) * Double(dd)
            a.dense.withUnsafeBufferPointer { da in
                b.dense.withUnsafeBufferPointer { db in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(dd), 1,
                                da.baseAddress! + ra.lowerBound * dd, Int32(dd),
                                db.baseAddress! + rb.lowerBound * dd, Int32(dd), 0, tile, Int32(n))
                }
            }
        } else if !split.ageByTable {
            tile.update(repeating: 0, count: m * n)
        }
        // Age block by table: copy (or add) the precomputed row for the query's band.
        if split.ageByTable {
            b.agePrefill.withUnsafeBufferPointer { prefill in
                let base = prefill.baseAddress! + blockB * 8 * b.block
                for r in 0 ..< m {
                    let band = Int(a.ageBand[ra.lowerBound + r])
                    let row = tile + r * n
                    if band == 7 {
                        if dd == 0 { row.update(repeating: 0, count: n) }
                    } else if dd == 0 {
                        row.update(from: base + band * b.block, count: n)
                    } else {
                        let src = base + band * b.block
                        for c in 0 ..< n { row[c] += src[c] }
                    }
                }
            }
        }

        // 2. Sparse part: scatter each A row's sparse entries through B's
        //    per-block inverted lists.
        if split.sparseCount > 0 {
            let stride = split.sparseCount + 1
            let base = blockB * stride
            var hits = 0
            a.rowStart.withUnsafeBufferPointer { rowStart in
            a.rowColumn.withUnsafeBufferPointer { rowColumn in
            a.rowValue.withUnsafeBufferPointer { rowValue in
            b.postingStart.withUnsafeBufferPointer { pStart in
            b.postingPosition.withUnsafeBufferPointer { pPos in
            b.postingValue.withUnsafeBufferPointer { pVal in
                for r in 0 ..< m {
                    let row = tile + r * n
                    let g = ra.lowerBound + r
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

        // 3. Offers to A's rows (each tile row), under A's block lock.
        let diagonal = symmetric && blockA == blockB
        var passed = 0
        heapsA.withBlock(blockA) {
            b.rows.withUnsafeBufferPointer { bRows in
                let candidates = bRows.baseAddress! + rb.lowerBound
                let bMask = b.blockMasks[blockB]
                for r in 0 ..< m {
                    // A row that shares no language with the whole B block, or
                    // is on the other side of the safeguarding line, has no
                    // allowed candidate here: skip its scan.
                    guard bMask.admits(Int(a.rows[ra.lowerBound + r]), rules) else { continue }
                    passed += scanRow(tile + r * n, count: n, heapRow: ra.lowerBound + r, query: Int(a.rows[ra.lowerBound + r]),
                                      candidates: candidates, skipSelf: diagonal)
                }
            }
        }
        defer { stats.passedThreshold += Double(passed) }
        // 4. Offers to B's rows (each tile column), under B's block lock.
        guard !diagonal else { return }
        heapsB.withBlock(blockB) {
            // Columns that cannot pair with anyone in the A block get an
            // infinite threshold for this tile; the others track their row's.
            let aMask = a.blockMasks[blockA]
            let thr = localThreshold
            for c in 0 ..< n {
                thr[c] = aMask.admits(Int(b.rows[rb.lowerBound + c]), rules) ? heapsB.threshold[rb.lowerBound + c] : .infinity
            }
            for r in 0 ..< m {
                let row = tile + r * n
                let ai = Int32(a.rows[ra.lowerBound + r])
                var j = 0
                while j < n {
                    let lanes = min(8, n - j)
                    if lanes == 8 {
                        let v = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)
                        let t = UnsafeRawPointer(thr + j).loadUnaligned(as: SIMD8<Float>.self)
                        if !any(v .>= t) { j += 8; continue }
                    }
                    for c in j ..< j + lanes where row[c] >= thr[c] {
                        passed += 1
                        let micro = Int32(Double(row[c]) * 1_000_000 + 0.5)  // scores here are > 0: truncation rounds
                        let key = TopKHeaps.key(micro: max(micro, 0), index: ai)
                        let heapRow = rb.lowerBound + c
                        guard heapsB.wouldAccept(heapRow, key),
                              rules.allows(Int(b.rows[heapRow]), Int(ai)) else { continue }
                        heapsB.offer(heapRow, key)
                        thr[c] = heapsB.threshold[heapRow]
                    }
                    j += lanes
                }
            }
        }
    }

    /// Offers one row of scores to one heap row of A: SIMD threshold test
    /// first, then the heap's own test, then the hard rules.
    /// Returns how many scores passed the threshold test.
    @inline(__always)
    private func scanRow(_ row: UnsafeMutablePointer<Float>, count n: Int, heapRow: Int, query qi: Int,
                         candidates: UnsafePointer<Int32>, skipSelf: Bool) -> Int {
        var passed = 0
        var thr = heapsA.threshold[heapRow]
        var thrv = SIMD8<Float>(repeating: thr)
        var j = 0
        while j < n {
            let lanes = min(8, n - j)
            if lanes == 8 {
                let v = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)
                if !any(v .>= thrv) { j += 8; continue }
            }
            for c in j ..< j + lanes where row[c] >= thr {
                passed += 1
                let ci = Int(candidates[c])
                if skipSelf && ci == qi { continue }
                let micro = Int32(Double(row[c]) * 1_000_000 + 0.5)  // scores here are > 0: truncation rounds
                let key = TopKHeaps.key(micro: max(micro, 0), index: Int32(ci))
                guard heapsA.wouldAccept(heapRow, key), rules.allows(qi, ci) else { continue }
                heapsA.offer(heapRow, key)
                thr = heapsA.threshold[heapRow]
                thrv = SIMD8<Float>(repeating: thr)
            }
            j += lanes
        }
        return passed
    }
}

/// Fixed slots of k candidates per profile, written by disjoint workers.
///
/// Each profile's slot is written by exactly one worker, so no two threads
/// ever write the same memory.
final class ResultSlots: @unchecked Sendable {
    let k: Int
    let profiles: Int
    private let slots: UnsafeMutablePointer<Candidate>
    private let counts: UnsafeMutablePointer<Int32>

    init(profiles: Int, k: Int) {
        self.k = k
        self.profiles = profiles
        slots = .allocate(capacity: max(1, profiles * k))
        counts = .allocate(capacity: max(1, profiles))
        counts.initialize(repeating: 0, count: max(1, profiles))
    }

    deinit {
        slots.deallocate()
        counts.deallocate()
    }

    func store(profile: Int, _ list: ArraySlice<Candidate>) {
        precondition(list.count <= k)
        let base = slots + profile * k
        for (o, c) in list.enumerated() { (base + o).initialize(to: c) }
        counts[profile] = Int32(list.count)
    }

    /// The compressed result, in profile order.
    func collect() -> RankedMatches {
        var offsets = [Int](repeating: 0, count: profiles + 1)
        for p in 0 ..< profiles { offsets[p + 1] = offsets[p] + Int(counts[p]) }
        var entries: [Candidate] = []
        entries.reserveCapacity(offsets[profiles])
        for p in 0 ..< profiles {
            entries.append(contentsOf: UnsafeBufferPointer(start: slots + p * k, count: Int(counts[p])))
        }
        return RankedMatches(offsets: offsets, entries: entries)
    }
}
