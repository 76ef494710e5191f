/// A profile's sparse feature row: sorted, distinct columns and their values.
/// The score of two profiles is the dot product of their rows.
typealias SparseRow = (columns: ArraySlice<Int32>, values: ArraySlice<Double>)

/// A flat, read-only copy of the feature rows that group formation reads.
///
/// The search reads every row thousands of times; copying them once into raw
/// buffers (O(nnz)) means the inner loops do no closure calls, ArraySlice
/// retains or bounds checks. Profiles that were not copied have empty rows.
final class FeatureRows {
    /// Number of columns (the length of a ``DenseScratch``).
    let dimension: Int
    /// Profile p's entries are `offsets[p] ..< offsets[p + 1]`.
    let offsets: UnsafeMutableBufferPointer<Int>
    let columns: UnsafeMutableBufferPointer<Int32>
    let values: UnsafeMutableBufferPointer<Double>

    /// Copies the rows of the profiles in `include` (indexed by profile).
    ///
    /// - Precondition: each row's columns are strictly increasing and not
    ///   negative (as `FeatureSpace` stores them); the gathers below rely on it.
    /// - Complexity: O(profiles + nnz of the copied rows).
    init(include: [Bool], dimension: Int, row: (Int) -> SparseRow) {
        offsets = .allocate(capacity: include.count + 1)
        var rows: [SparseRow?] = include.indices.map { include[$0] ? row($0) : nil }
        var total = 0, width = dimension
        for p in include.indices {
            offsets[p] = total
            guard let r = rows[p] else { continue }
            precondition(r.columns.count == r.values.count, "a feature row needs one value per column")
            var previous: Int32 = -1
            for c in r.columns {
                precondition(c > previous, "feature row columns must be sorted, distinct and non-negative")
                previous = c
            }
            width = max(width, Int(previous) + 1)
            total += r.columns.count
        }
        offsets[include.count] = total
        self.dimension = width
        columns = .allocate(capacity: max(total, 1))
        values = .allocate(capacity: max(total, 1))
        for p in include.indices {
            guard let r = rows[p] else { continue }
            _ = UnsafeMutableBufferPointer(rebasing: columns[offsets[p] ..< offsets[p + 1]]).initialize(from: r.columns)
            _ = UnsafeMutableBufferPointer(rebasing: values[offsets[p] ..< offsets[p + 1]]).initialize(from: r.values)
            rows[p] = nil
        }
    }

    /// Copies `source`'s rows of `people`, renumbered: row `i` here is row
    /// `people[i]` there (so rows read together can sit together in memory).
    ///
    /// - Complexity: O(people + their nnz).
    init(copying source: FeatureRows, people: [Int]) {
        dimension = source.dimension
        offsets = .allocate(capacity: people.count + 1)
        var total = 0
        for (i, p) in people.enumerated() {
            offsets[i] = total
            total += source.entries(p).count
        }
        offsets[people.count] = total
        columns = .allocate(capacity: max(total, 1))
        values = .allocate(capacity: max(total, 1))
        for (i, p) in people.enumerated() {
            let from = source.entries(p)
            (columns.baseAddress! + offsets[i]).initialize(from: source.columns.baseAddress! + from.lowerBound, count: from.count)
            (values.baseAddress! + offsets[i]).initialize(from: source.values.baseAddress! + from.lowerBound, count: from.count)
        }
    }

    deinit {
        offsets.deallocate()
        columns.deallocate()
        values.deallocate()
    }

    @inline(__always) func entries(_ p: Int) -> Range<Int> { offsets[p] ..< offsets[p + 1] }

    /// `x_p · x_p`, summed in column order.
    func selfDot(_ p: Int) -> Double {
        var d: Double = 0
        for k in entries(p) { d += values[k] * values[k] }
        return d
    }
}

/// Dense vectors of `dimension` doubles, all zero between uses, that each hold
/// one sparse vector at a time so that dot products against them are plain
/// gathers. With several lanes the vectors are interleaved (lane j of column c
/// at `c · lanes + j`), so a row gathered against all of them reads one cache
/// line per column.
///
/// Why gathers give the same bits as a merge of two sorted rows
/// (`FeatureSpace.exactScore`): both add the products of shared columns in
/// increasing column order, starting from +0. A gather also adds `v · 0 = ±0`
/// for the columns only one side has, and adding ±0 leaves any sum unchanged
/// except -0, which the sum can never be (it starts at +0, and in IEEE
/// round-to-nearest a sum is -0 only when both terms are -0). Products are
/// commutative, so the argument order of the two rows does not matter either.
final class DenseScratch {
    let slots: UnsafeMutablePointer<Double>
    let dimension: Int
    let lanes: Int

    init(dimension: Int, lanes: Int = 1) {
        precondition(lanes >= 1)
        self.dimension = dimension
        self.lanes = lanes
        slots = .allocate(capacity: max(dimension * lanes, 1))
        slots.initialize(repeating: 0, count: max(dimension * lanes, 1))
    }

    deinit { slots.deallocate() }

    /// Where column `c` of lane `lane` lives.
    @inline(__always) func slot(_ c: Int32, _ lane: Int) -> UnsafeMutablePointer<Double> { slots + (Int(c) * lanes + lane) }

    /// Writes row p into a lane; `unload` must follow before the lane is reused.
    @inline(__always) func load(_ p: Int, _ rows: FeatureRows, lane: Int = 0) {
        let c = rows.columns.baseAddress!, v = rows.values.baseAddress!
        for k in rows.entries(p) { slot(c[k], lane).pointee = v[k] }
    }

    /// Zeroes the columns of row p again.
    @inline(__always) func unload(_ p: Int, _ rows: FeatureRows, lane: Int = 0) {
        let c = rows.columns.baseAddress!
        for k in rows.entries(p) { slot(c[k], lane).pointee = 0 }
    }

    /// `x_p · lane`, summed in p's column order.
    ///
    /// - Complexity: O(nnz(p)).
    @inline(__always) func dot(_ p: Int, _ rows: FeatureRows, lane: Int = 0) -> Double {
        let c = rows.columns.baseAddress!, v = rows.values.baseAddress!
        var d = 0.0
        for k in rows.entries(p) { d += v[k] * slot(c[k], lane).pointee }
        return d
    }

    /// `(x_p · lane 0, x_p · lane 1)` of a two-lane scratch in one pass over row
    /// p: the same two sums, in the same order, as two ``dot(_:_:lane:)`` calls.
    @inline(__always) func dots(_ p: Int, _ rows: FeatureRows) -> (Double, Double) {
        assert(lanes == 2)
        let c = rows.columns.baseAddress!, v = rows.values.baseAddress!
        var d0 = 0.0, d1 = 0.0
        for k in rows.entries(p) {
            let s = slots + 2 * Int(c[k])
            d0 += v[k] * s[0]
            d1 += v[k] * s[1]
        }
        return (d0, d1)
    }
}
