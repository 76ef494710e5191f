/// Per-group sum vectors `S_G = Σ_{m∈G} x_m` for ``GroupRefinement``, stored
/// compactly: each group keeps the sorted columns its members ever touched and
/// their running sums, in one block of two flat buffers.
///
/// Each stored sum is built by exactly the additions a dense
/// `groups × dimension` table would see for that cell (`0 + s·v`, in the same
/// order), and untouched cells are 0 in both; so every dot product has the same
/// bits as against a dense table (see ``DenseScratch`` for why skipping or
/// adding the zero cells does not matter), at a fraction of its memory: a dense
/// table is 56 MB for 3,300 groups over 2,100 columns, and reading it was mostly
/// cache misses. Flat buffers rather than `[[Int32]]`, so that reaching a
/// group's block costs one lookup, not two array headers.
struct GroupSumVectors {
    /// Group g's block is `start[g] ..< start[g] + count[g]` of `columns` and
    /// `sums`, with room up to `start[g] + room[g]`.
    private var start: [Int] = []
    private var count: [Int] = []
    private var room: [Int] = []
    private var columns: [Int32] = []
    private var sums: [Double] = []

    /// Sums of `groups`, members added in order.
    ///
    /// - Complexity: O(Σ nnz log nnz) over the members of each group.
    init(groups: [[Int]], rows: FeatureRows, scratch: DenseScratch) {
        let c = rows.columns, v = rows.values
        for g in groups {
            var touched: [Int32] = []
            for m in g {
                for k in rows.entries(m) {
                    touched.append(c[k])
                    scratch.slot(c[k], 0).pointee += v[k]  // the `+= 1 · v` of a dense table
                }
            }
            touched.sort()
            start.append(columns.count)
            for t in touched where columns.count == start.last! || columns.last != t {
                columns.append(t)
                sums.append(scratch.slot(t, 0).pointee)
                scratch.slot(t, 0).pointee = 0
            }
            count.append(columns.count - start.last!)
            // Some slack, so that a few moves rarely need a new block.
            let slack = 16
            room.append(count.last! + slack)
            columns.append(contentsOf: repeatElement(0, count: slack))
            sums.append(contentsOf: repeatElement(0, count: slack))
        }
    }

    /// `S_g += sign · x_p`.
    ///
    /// - Complexity: O(nnz(p) + |S_g|).
    mutating func add(_ p: Int, _ rows: FeatureRows, to g: Int, sign: Double) {
        if count[g] + rows.entries(p).count > room[g] {
            // Move the block to the end with twice the room; the old one is dropped.
            let from = start[g]
            start[g] = columns.count
            room[g] = 2 * (count[g] + rows.entries(p).count)
            let movedColumns = Array(columns[from ..< from + count[g]]), movedSums = Array(sums[from ..< from + count[g]])
            columns.append(contentsOf: movedColumns)
            sums.append(contentsOf: movedSums)
            columns.append(contentsOf: repeatElement(0, count: room[g] - count[g]))
            sums.append(contentsOf: repeatElement(0, count: room[g] - count[g]))
        }
        let base = start[g]
        var i = base
        for k in rows.entries(p) {
            let c = rows.columns[k], v = rows.values[k]
            while i < base + count[g] && columns[i] < c { i += 1 }
            if i < base + count[g] && columns[i] == c {
                sums[i] += sign * v
            } else {
                // Shift the tail right by one and insert: a fresh dense cell is 0 before the add.
                var j = base + count[g]
                while j > i {
                    columns[j] = columns[j - 1]
                    sums[j] = sums[j - 1]
                    j -= 1
                }
                columns[i] = c
                sums[i] = 0 + sign * v
                count[g] += 1
            }
            i += 1
        }
    }

    /// `S_g · lane`, summed in column order: with row x in the lane, the same
    /// bits as loading `S_g` and calling ``DenseScratch/dot(_:_:lane:)`` for
    /// x. The nonzero products are the same, added in the same (ascending
    /// column) order; the rest are ±0, and a sum that starts at +0 is never
    /// −0, so adding them changes nothing. Reads |S_g| slots instead of
    /// writing 2·|S_g| and reading nnz(x): the load and unload were the
    /// refinement's largest cost.
    ///
    /// - Complexity: O(|S_g|).
    func dot(_ g: Int, _ scratch: DenseScratch, lane: Int) -> Double {
        var d = 0.0
        for k in start[g] ..< start[g] + count[g] { d += sums[k] * scratch.slot(columns[k], lane).pointee }
        return d
    }

    /// Writes `S_g` into a zeroed scratch lane; ``unload(_:from:lane:)`` restores it.
    func load(_ g: Int, into scratch: DenseScratch, lane: Int = 0) {
        for k in start[g] ..< start[g] + count[g] { scratch.slot(columns[k], lane).pointee = sums[k] }
    }

    func unload(_ g: Int, from scratch: DenseScratch, lane: Int = 0) {
        for k in start[g] ..< start[g] + count[g] { scratch.slot(columns[k], lane).pointee = 0 }
    }
}
