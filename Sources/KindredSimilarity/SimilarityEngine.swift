import CBLAS
import Dispatch
import KindredCore
import KindredVectorize
import Synchronization

/// Exact top-k under the hard rules, from blocked `cblas_sgemm` with the
/// selection fused into the block loop.
///
/// ## How it works
/// 1. Active profiles are split by role into classes (peers, seekers,
///    supporters). A query class is compared only with its partner class
///    (rule 2), never with itself across roles.
/// 2. Inside a class, rows are ordered by (minor, language mask), so that a
///    block of rows mostly speaks one set of languages; block pairs that share
///    no language or fail safeguarding are skipped without any arithmetic.
/// 3. Work units are blocks of `queryBlock` query rows. A worker multiplies its
///    block by each candidate block of `candidateBlock` rows with one
///    single-threaded `sgemm` (`bq × bc × D`) into a scratch buffer, then scans
///    each row of scores with a SIMD threshold test before any heap work.
///    Scratch memory is `threads × bq × bc` floats: never N × N.
/// 4. Each query row keeps a bounded heap of `k + slack` candidates by float
///    score. At the end those are rescored exactly in double precision from the
///    sparse vectors, rounded to 6 decimals, ordered by (score desc, id asc) and
///    cut to k. The slack absorbs float error at the boundary, so the stored
///    scores and order are those of the exact computation.
///
/// Results do not depend on the thread count: the block geometry is fixed, so
/// every float is computed by the same `sgemm` call whatever the threads.
///
/// - Complexity: O(Σ_pairs-of-compatible-blocks bq·bc·D) flops, plus
///   O(n·(k + slack)·log) heap work; memory O(n·D) for the dense rows.
public enum SimilarityEngine {
    public struct Options: Sendable {
        public var topK: Int
        /// Worker threads; each runs single-threaded BLAS.
        public var threads: Int
        public var queryBlock: Int = 256
        public var candidateBlock: Int = 2048
        /// Extra heap entries kept per row for the exact rescoring.
        public var slack: Int

        public init(topK: Int, threads: Int) {
            precondition(topK >= 1 && threads >= 1)
            self.topK = topK
            self.threads = threads
            slack = max(8, topK)
        }
    }

    /// Figures the bench and the run summary report.
    public struct Statistics: Sendable {
        /// Dense multiply-adds performed × 2.
        public var flops: Double = 0
        /// Candidate pairs whose score was computed.
        public var pairsScored: Double = 0
        /// Block pairs skipped by the language/safeguarding masks.
        public var blocksSkipped = 0
        public var blocksComputed = 0
        public init() {}

        public static func + (a: Statistics, b: Statistics) -> Statistics {
            var s = a
            s.flops += b.flops
            s.pairsScored += b.pairsScored
            s.blocksSkipped += b.blocksSkipped
            s.blocksComputed += b.blocksComputed
            s.dimension = max(a.dimension, b.dimension)
            return s
        }
        /// Feature dimension of the dense rows.
        public var dimension = 0
    }

    /// One ranking job: every active profile of `query` role gets its `k` best
    /// candidates among the active profiles of `candidates` role.
    public struct Task: Sendable {
        public var query: Role
        public var candidates: Role
        public var k: Int

        public init(query: Role, candidates: Role, k: Int) {
            self.query = query
            self.candidates = candidates
            self.k = k
        }

        /// Pairing (contract §3 rule 2): peers with peers, seekers with supporters
        /// and supporters with seekers.
        public static func pairing(k: Int) -> [Task] {
            [Task(query: .peer, candidates: .peer, k: k), Task(query: .seeker, candidates: .supporter, k: k),
             Task(query: .supporter, candidates: .seeker, k: k)]
        }
    }

    /// Ranks every active profile's candidates for pairing, `options.topK` each.
    public static func rank(_ dataset: Dataset, features: FeatureSpace, rules: CompiledRules,
                            options: Options,
                            progress: (@Sendable (Int, Int) -> Void)? = nil) -> (RankedMatches, Statistics) {
        rank(dataset, features: features, rules: rules, tasks: Task.pairing(k: options.topK),
             options: options, progress: progress)
    }

    /// Runs ranking tasks; a role may be the query role of one task only.
    ///
    /// - Parameter progress: called with (units done, units total) from worker
    ///   threads, serialised.
    public static func rank(_ dataset: Dataset, features: FeatureSpace, rules: CompiledRules,
                            tasks: [Task], options: Options,
                            progress: (@Sendable (Int, Int) -> Void)? = nil) -> (RankedMatches, Statistics) {
        precondition(Set(tasks.map(\.query)).count == tasks.count, "one task per query role")
        precondition(tasks.allSatisfy { $0.k >= 1 })
        let profiles = dataset.profiles
        var byRole: [Role: [Int32]] = [.peer: [], .seeker: [], .supporter: []]
        for i in profiles.indices where profiles[i].active { byRole[profiles[i].role]!.append(Int32(i)) }

        // Order each class so that blocks are homogeneous in safeguarding and language.
        var classes: [Role: RowClass] = [:]
        for (role, members) in byRole where !members.isEmpty {
            let ordered = members.sorted { a, b in
                let fa = rules.flags[Int(a)] & CompiledRules.minorFlag, fb = rules.flags[Int(b)] & CompiledRules.minorFlag
                if fa != fb { return fa < fb }
                let ma = rules.languageMask[Int(a)], mb = rules.languageMask[Int(b)]
                if ma != mb { return ma < mb }
                return a < b
            }
            classes[role] = RowClass(rows: ordered, features: features, rules: rules, block: options.candidateBlock)
        }

        // Work units: (task, start row in the query class).
        var units: [(task: Task, start: Int)] = []
        for task in tasks {
            guard let q = classes[task.query], classes[task.candidates] != nil else { continue }
            for start in stride(from: 0, to: q.rows.count, by: options.queryBlock) { units.append((task, start)) }
        }

        let output = ResultSlots(profiles: profiles.count, k: tasks.map(\.k).max() ?? 1)
        let statsLock = Mutex(Statistics())
        let nextUnit = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        let frozenClasses = classes
        let frozenUnits = units
        let workers = max(1, min(options.threads, units.count))
        BLASThreads.set(1)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            var local = Statistics()
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: options.queryBlock * options.candidateBlock)
            defer { scratch.deallocate() }
            while true {
                let u = nextUnit.wrappingAdd(1, ordering: .relaxed).oldValue
                if u >= frozenUnits.count { break }
                let unit = frozenUnits[u]
                rankBlock(query: frozenClasses[unit.task.query]!, candidates: frozenClasses[unit.task.candidates]!,
                          sameClass: unit.task.query == unit.task.candidates, start: unit.start,
                          k: unit.task.k, options: options,
                          features: features, rules: rules, scratch: scratch, output: output, stats: &local)
                let finished = done.wrappingAdd(1, ordering: .relaxed).oldValue + 1
                if let progress { statsLock.withLock { _ in progress(finished, frozenUnits.count) } }
            }
            statsLock.withLock { s in
                s.flops += local.flops
                s.pairsScored += local.pairsScored
                s.blocksSkipped += local.blocksSkipped
                s.blocksComputed += local.blocksComputed
            }
        }
        var stats = statsLock.withLock { $0 }
        stats.dimension = features.dimension
        return (output.collect(), stats)
    }

    /// One unit: a block of query rows against every compatible candidate block.
    private static func rankBlock(query: RowClass, candidates: RowClass, sameClass: Bool, start: Int,
                                  k: Int, options: Options, features: FeatureSpace, rules: CompiledRules,
                                  scratch: UnsafeMutablePointer<Float>, output: ResultSlots,
                                  stats: inout Statistics) {
        let d = features.dimension
        let m = min(options.queryBlock, query.rows.count - start)
        let heaps = TopKHeaps(rows: m, capacity: k + max(options.slack, k))
        let qMask = BlockMask(rows: query.rows[start ..< start + m], rules: rules)
        // Scores whose rounding could reach 1e-6 pass the floor; the exact
        // rescoring drops any that round to 0.
        let floor: Float = 0.25e-6
        var threshold = [Float](repeating: floor, count: m)

        query.rows.withUnsafeBufferPointer { qRows in
        candidates.rows.withUnsafeBufferPointer { cRows in
        query.matrix.withUnsafeBufferPointer { qMatrix in
        candidates.matrix.withUnsafeBufferPointer { cMatrix in
            for cb in 0 ..< candidates.blockCount {
                let cStart = cb * options.candidateBlock
                let n = min(options.candidateBlock, candidates.rows.count - cStart)
                guard BlockMask.compatible(qMask, candidates.blockMasks[cb]) else {
                    stats.blocksSkipped += 1
                    continue
                }
                stats.blocksComputed += 1
                stats.flops += 2 * Double(m) * Double(n) * Double(d)
                stats.pairsScored += Double(m) * Double(n)
                if d > 0 {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(d), 1,
                                qMatrix.baseAddress! + start * d, Int32(d),
                                cMatrix.baseAddress! + cStart * d, Int32(d),
                                0, scratch, Int32(n))
                } else {
                    scratch.update(repeating: 0, count: m * n)
                }
                for r in 0 ..< m {
                    let qi = Int(qRows[start + r])
                    let row = scratch + r * n
                    var thr = threshold[r]
                    // Fused selection: test 8 scores at once against the row's
                    // threshold; only lanes that pass reach the rules and the heap.
                    var thrv = SIMD8<Float>(repeating: thr)
                    var j = 0
                    while j < n {
                        let lanes = min(8, n - j)
                        if lanes == 8 {
                            let v = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)
                            if !any(v .>= thrv) { j += 8; continue }
                        }
                        for t in j ..< j + lanes {
                            let s = row[t]
                            if s < thr { continue }
                            let ci = Int(cRows[cStart + t])
                            if sameClass && ci == qi { continue }
                            let micro = Int32((Double(s) * 1_000_000).rounded())
                            let key = TopKHeaps.key(micro: max(micro, 0), index: Int32(ci))
                            if heaps.isFull(r) && key <= heaps.minKey(r) { continue }
                            guard rules.allows(qi, ci) else { continue }
                            heaps.offer(r, key)
                            if heaps.isFull(r) {
                                let worst = Int32(truncatingIfNeeded: heaps.minKey(r) >> 32)
                                thr = max(floor, (Float(worst) - 0.5) / 1_000_000)
                                thrv = SIMD8<Float>(repeating: thr)
                            }
                        }
                        j += lanes
                    }
                    threshold[r] = thr
                }
            }
        }}}}

        // Exact rescoring of the kept candidates, then the contract's order.
        for r in 0 ..< m {
            let qi = Int(query.rows[start + r])
            var list: [Candidate] = []
            list.reserveCapacity(heaps.count(r))
            for key in heaps.keys(r) {
                let ci = TopKHeaps.index(of: key)
                let score = Score(features.exactScore(qi, Int(ci)))
                if score.micro > 0 { list.append(Candidate(index: ci, score: score)) }
            }
            list.sort(by: Candidate.ranksBefore)
            output.store(profile: qi, list.prefix(k))
        }
    }
}

/// The active profiles of one role, reordered, with their dense rows.
struct RowClass: Sendable {
    let rows: [Int32]
    /// Row-major `rows.count × dimension`, single precision.
    let matrix: [Float]
    let blockMasks: [BlockMask]
    var blockCount: Int { blockMasks.count }

    init(rows: [Int32], features: FeatureSpace, rules: CompiledRules, block: Int) {
        self.rows = rows
        let size = rows.count * features.dimension
        matrix = [Float](unsafeUninitializedCapacity: size) { buffer, count in
            features.fillDense(rows: rows, into: buffer)
            count = size
        }
        blockMasks = stride(from: 0, to: rows.count, by: block).map { lo in
            BlockMask(rows: rows[lo ..< min(rows.count, lo + block)], rules: rules)
        }
    }
}

/// What a block of rows can possibly pair with: the union of its languages and
/// whether it holds minors and adults. Two blocks with nothing in common in
/// either respect cannot hold an allowed pair, so their product is skipped.
struct BlockMask: Sendable {
    var languages: UInt64 = 0
    var hasMinor = false
    var hasAdult = false

    init(rows: ArraySlice<Int32>, rules: CompiledRules) {
        for r in rows {
            languages |= rules.languageMask[Int(r)]
            if rules.flags[Int(r)] & CompiledRules.minorFlag != 0 { hasMinor = true } else { hasAdult = true }
        }
    }

    static func compatible(_ a: BlockMask, _ b: BlockMask) -> Bool {
        a.languages & b.languages != 0 && ((a.hasMinor && b.hasMinor) || (a.hasAdult && b.hasAdult))
    }
}

/// Fixed slots of k candidates per profile, written by disjoint workers.
///
/// The one shared mutable structure of the engine: each query row belongs to
/// exactly one work unit, so no two threads ever write the same slot.
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
