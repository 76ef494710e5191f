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
/// 3. A work unit is one pair of blocks (a, b). Its scores are computed once,
///    a panel of a's rows at a time (``TileKernel``): `sgemm` over the dense
///    columns (one single-threaded call), then the sparse columns scattered
///    in row by row from the b block's inverted lists (``ColumnSplit``
///    decides which columns are which).
/// 4. Each panel feeds both sides: each row of a is offered its row of
///    scores, each row of b its column. Between peers score(i, j) =
///    score(j, i), so only units with a ≤ b are computed: half the work.
///    Seekers and supporters share one tile for both directions too.
/// 5. Offers are fused into one pass over the panel: 8 scores are compared
///    with their row's and their 8 columns' current k-th best at once; only
///    groups that pass get the 8-lane rule test (``RuleLanes``), and only
///    lanes that pass both reach the heaps (``HeapSet``).
/// 6. Each row keeps its k best candidates by float score plus a reserve of
///    up to `slack` near misses within a float-error margin of the k-th best
///    (``TopKHeaps``); at the end those are rescored exactly in double
///    precision from the sparse vectors, rounded to 6 decimals, ordered by
///    (score desc, id asc) and cut to k. The margin and the reserve absorb
///    float error at the boundary, so the stored scores and order are those of
///    the exact computation (docs/Scoring.md).
///
/// Results do not depend on the thread count: tiles have fixed geometry, so
/// every float is the same whatever the threads, and the final heaps do not
/// depend on the order of offers (a reserve can, but not what the rescoring
/// keeps from it; see ``HeapSet``).
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
        /// Near misses kept per row besides the k best, for the exact
        /// rescoring (at least 8).
        public var slack: Int = 8
        public var kernel: ColumnSplit.Kernel = .auto
        /// Column density from which the hybrid kernel goes dense.
        public var denseThreshold: Double = 0.15
        /// Whether the all-dense kernel may use the fused kernel (scores and
        /// threshold test in registers, `CFusedKernel`) instead of `sgemm` and
        /// the panel scan, where the CPU has AVX2 and FMA. Results are the same
        /// either way; off is for comparing the two.
        public var fusedKernel = true
        /// Whether the fused kernel may use its AVX-512 variant (32 columns
        /// per step in 16-wide registers) where the CPU has AVX-512 F. The
        /// scores are bit for bit the same; off is for comparing the two.
        public var fusedAVX512 = true

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
        /// Scores that passed a threshold test and the 8-lane rule test and so
        /// reached the scalar checks before a heap (counted per side).
        public var reachedScalarChecks: Double = 0
        public var denseColumns = 0
        public var sparseColumns = 0
        /// How far below a row's k-th best float score, in micro units, a
        /// score still reaches the heaps (``HeapSet/margin(terms:)``).
        public var marginMicro = 0
        /// The kernel used (`.auto` resolved).
        public var kernel: ColumnSplit.Kernel = .auto
        /// Whether the all-dense kernel ran through the fused kernel
        /// (``Options/fusedKernel``) rather than `sgemm` and the panel scan.
        public var fusedKernel = false
        /// Whether that fused kernel was the AVX-512 variant.
        public var fusedAVX512 = false
        /// Wall-clock seconds of the three phases: building the row classes
        /// and work units, the tile loop (scores and fused selection), and
        /// the exact rescoring. The tile loop is what `kindred bench` puts
        /// next to plain `sgemm`.
        public var setupSeconds = 0.0
        public var tileSeconds = 0.0
        public var finishSeconds = 0.0

        public init() {}

        public static func + (a: Statistics, b: Statistics) -> Statistics {
            var s = a
            s.flops += b.flops
            s.pairsScored += b.pairsScored
            s.sparseHits += b.sparseHits
            s.blocksSkipped += b.blocksSkipped
            s.blocksComputed += b.blocksComputed
            s.reachedScalarChecks += b.reachedScalarChecks
            s.denseColumns = max(a.denseColumns, b.denseColumns)
            s.sparseColumns = max(a.sparseColumns, b.sparseColumns)
            s.marginMicro = max(a.marginMicro, b.marginMicro)
            s.kernel = a.kernel
            s.fusedKernel = a.fusedKernel || b.fusedKernel
            s.fusedAVX512 = a.fusedAVX512 || b.fusedAVX512
            s.setupSeconds += b.setupSeconds
            s.tileSeconds += b.tileSeconds
            s.finishSeconds += b.finishSeconds
            return s
        }
    }

    /// Rows of A per panel with a kernel (`.auto` resolved): the shape of
    /// the core's `sgemm` calls is `panelRows × block × dense columns`.
    public static func panelRows(_ kernel: ColumnSplit.Kernel) -> Int { TileKernel.panelRows(kernel) }

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
        let started = DispatchTime.now().uptimeNanoseconds
        let profiles = dataset.profiles
        var byRole: [Role: [Int32]] = [:]
        for i in profiles.indices where profiles[i].active { byRole[profiles[i].role, default: []].append(Int32(i)) }
        let active = byRole.values.reduce(0) { $0 + $1.count }
        let split = ColumnSplit(features: features, activeRows: active, kernel: options.kernel, threshold: options.denseThreshold)
        let block = options.block

        // The classes are independent: built concurrently by at most
        // `threads` workers, largest first so that two threads share three
        // roles' work evenly.
        let roles = Set(tasks.flatMap { [$0.a, $0.b] }).sorted {
            let (na, nb) = (byRole[$0]?.count ?? 0, byRole[$1]?.count ?? 0)
            return na != nb ? na > nb : $0.rawValue < $1.rawValue
        }
        let built = Mutex<[Role: RowClass]>([:])
        let buildClass: @Sendable (Int) -> Void = { [byRole] n in
            let c = RowClass(members: byRole[roles[n]] ?? [], features: features, split: split, rules: rules, block: block)
            built.withLock { $0[roles[n]] = c }
        }
        let nextRole = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: max(1, min(options.threads, roles.count))) { _ in
            while true {
                let n = nextRole.wrappingAdd(1, ordering: .relaxed).oldValue
                if n >= roles.count { break }
                buildClass(n)
            }
        }
        let classes = built.withLock { $0 }

        // Heaps per task side, and the work units: block pairs, diagonal by
        // diagonal so that concurrent units rarely share a block.
        var sides: [(a: HeapSet, b: HeapSet)] = []
        var units: [Unit] = []
        var stats = Statistics()
        stats.denseColumns = split.denseCount
        stats.sparseColumns = split.sparseCount
        stats.kernel = split.kernel
        // Float products per score: the dense columns, at most a row's
        // stored entries from the sparse ones, and the age table.
        var longestRow = 0
        if split.sparseCount > 0 {
            for i in profiles.indices where profiles[i].active { longestRow = max(longestRow, features.nonZeros(i)) }
        }
        let margin = HeapSet.margin(terms: split.denseCount + longestRow + 1)
        stats.marginMicro = Int(margin)
        for (t, task) in tasks.enumerated() {
            let ca = classes[task.a]!, cb = classes[task.b]!
            let reserve = max(8, options.slack)
            let ha = HeapSet(rows: ca.rows.count, k: task.k, reserve: reserve, margin: margin, block: block)
            let hb = task.symmetric ? ha
                : HeapSet(rows: cb.rows.count, k: task.k, reserve: reserve, margin: margin, block: block)
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
        stats.setupSeconds = secondsSince(started)
        let useFused = options.fusedKernel && split.kernel == .dense && split.denseCount > 0 && FusedScratch.isSupported
        stats.fusedKernel = useFused
        let useAVX512 = useFused && options.fusedAVX512 && FusedScratch.isAVX512Supported
        stats.fusedAVX512 = useAVX512
        let tilesStarted = DispatchTime.now().uptimeNanoseconds
        let statsLock = Mutex(stats)
        let nextUnit = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        let workers = max(1, min(options.threads, units.count))
        BLASThreads.set(1)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            var local = Statistics()
            let panelRows = min(block, TileKernel.maxPanelRows)
            let tileCapacity = FusedScratch.tileCapacity(block: block, panelRows: panelRows)
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: tileCapacity)
            tile.initialize(repeating: 0, count: tileCapacity)  // TileKernel keeps it zero between panels
            let columnThreshold = UnsafeMutablePointer<Float>.allocate(capacity: block)
            let fused = useFused ? FusedScratch(block: block, panelRows: panelRows, dimension: split.denseCount, avx512: useAVX512) : nil
            defer {
                tile.deallocate()
                columnThreshold.deallocate()
            }
            while true {
                let u = nextUnit.wrappingAdd(1, ordering: .relaxed).oldValue
                if u >= frozenUnits.count { break }
                let unit = frozenUnits[u]
                let task = tasks[unit.task]
                TileKernel(a: frozenClasses[task.a]!, b: frozenClasses[task.b]!, symmetric: task.symmetric,
                           heapsA: frozenSides[unit.task].a, heapsB: frozenSides[unit.task].b,
                           split: split, rules: rules, tile: tile, columnThreshold: columnThreshold, fused: fused)
                    .run(blockA: unit.a, blockB: unit.b, stats: &local)
                let finished = done.wrappingAdd(1, ordering: .relaxed).oldValue + 1
                if let progress { statsLock.withLock { _ in progress(finished, frozenUnits.count) } }
            }
            statsLock.withLock { $0 = $0 + local }
        }

        statsLock.withLock { $0.tileSeconds = secondsSince(tilesStarted) }
        let finishStarted = DispatchTime.now().uptimeNanoseconds
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
        statsLock.withLock { $0.finishSeconds = secondsSince(finishStarted) }
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
            // One zeroed dense row per worker: the scores of a row's kept
            // candidates are gathers against it (FeatureSpace.scatter/gatheredScore).
            let scratch = UnsafeMutablePointer<Double>.allocate(capacity: max(1, features.dimension))
            scratch.initialize(repeating: 0, count: max(1, features.dimension))
            defer { scratch.deallocate() }
            var list: [Candidate] = []
            while true {
            let c = next.wrappingAdd(1, ordering: .relaxed).oldValue
            if c >= chunks { break }
            for r in c * chunk ..< min(rows.count, (c + 1) * chunk) {
                let qi = Int(rows[r])
                list.removeAll(keepingCapacity: true)
                features.scatter(qi, into: scratch)
                for key in heaps.heaps.keys(r) {
                    let ci = TopKHeaps.index(of: key)
                    let score = Score(features.gatheredScore(scratch, Int(ci)))
                    if score.micro > 0 { list.append(Candidate(index: ci, score: score)) }
                }
                features.clear(qi, in: scratch)
                list.sort(by: Candidate.ranksBefore)
                slots.store(profile: qi, list.prefix(k))
            }
            }
        }
        return slots.collect()
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

/// Wall-clock seconds since an `uptimeNanoseconds` reading.
private func secondsSince(_ start: UInt64) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}
