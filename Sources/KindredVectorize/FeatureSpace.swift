import CPrefetch
import KindredCore

/// Every active profile as one weighted feature vector, so that the contract's
/// score is a plain dot product: `score(i, j) = x_i · x_j`.
///
/// Each block's rows are L2-normalised (so the block's dot product is its
/// cosine) and scaled by `sqrt(w_b)`; concatenating the blocks then gives
/// `x_i · x_j = Σ_b w_b · cos_b(i, j)` (contract §2). Blocks with weight 0 get
/// no columns at all.
///
/// The vectors are kept sparse and in double precision: that is the exact
/// form used to rescore and explain the final candidates. The similarity core
/// asks for dense single-precision rows (``fillDense(rows:into:)``) to feed BLAS.
public struct FeatureSpace: Sendable {
    /// Total number of columns.
    public let dimension: Int
    /// Columns `0 ..< tagColumns` are the tag block, in tag index order.
    public let tagColumns: Int
    /// The age block's window columns, when the block has weight.
    public let ageColumns: Range<Int>?
    /// For each tag column, the dataset's tag index.
    public let columnTag: [Int32]
    /// Compressed rows, one per dataset profile (inactive profiles are empty).
    public let rowOffsets: [Int]
    public let columns: [Int32]
    public let values: [Double]
    /// Per active tag index, the document frequency among active profiles.
    public let documentFrequency: [Int32]
    /// The normalised block weights used.
    public let weights: BlockWeights

    init(dimension: Int, tagColumns: Int, ageColumns: Range<Int>?, columnTag: [Int32], rowOffsets: [Int],
         columns: [Int32], values: [Double], documentFrequency: [Int32], weights: BlockWeights) {
        self.dimension = dimension
        self.tagColumns = tagColumns
        self.ageColumns = ageColumns
        self.columnTag = columnTag
        self.rowOffsets = rowOffsets
        self.columns = columns
        self.values = values
        self.documentFrequency = documentFrequency
        self.weights = weights
    }

    /// Profile i's stored entries: sorted columns and their values.
    @inlinable public func row(_ i: Int) -> (columns: ArraySlice<Int32>, values: ArraySlice<Double>) {
        (columns[rowOffsets[i] ..< rowOffsets[i + 1]], values[rowOffsets[i] ..< rowOffsets[i + 1]])
    }

    /// Number of stored non-zeros of profile i.
    @inlinable public func nonZeros(_ i: Int) -> Int { rowOffsets[i + 1] - rowOffsets[i] }

    /// A profile's age band index (0 = under-18 ... 6 = 65+), read back from its
    /// age window columns; `nil` when unknown or the age block has no weight.
    public func ageBand(_ i: Int) -> Int? {
        guard let age = ageColumns else { return nil }
        for k in rowOffsets[i] ..< rowOffsets[i + 1] where age.contains(Int(columns[k])) {
            return Int(columns[k]) - age.lowerBound  // the first of its 3 windows is its band
        }
        return nil
    }

    /// The exact (double-precision) score of two profiles.
    ///
    /// - Complexity: O(nnz(i) + nnz(j)), a merge of two sorted rows.
    public func exactScore(_ i: Int, _ j: Int) -> Double {
        var a = rowOffsets[i], b = rowOffsets[j]
        let aEnd = rowOffsets[i + 1], bEnd = rowOffsets[j + 1]
        var sum = 0.0
        while a < aEnd && b < bEnd {
            let ca = columns[a], cb = columns[b]
            if ca == cb {
                sum += values[a] * values[b]
                a += 1; b += 1
            } else if ca < cb {
                a += 1
            } else {
                b += 1
            }
        }
        return sum
    }

    /// `exactScore(i, j)` for one i against many j, with the same bits:
    /// ``scatter(_:into:)`` row i into `scratch` (`dimension` doubles, all zero
    /// beforehand), ``gatheredScore(_:_:)`` each j, then ``clear(_:in:)``.
    ///
    /// Each score is a gather over row j's columns in column order, with no
    /// merge branches. It adds, in the merge's order, the same products as the
    /// merge, plus `x_i[c] · x_j[c] = ±0` for every column only j has; adding
    /// ±0 to a sum that started at +0 never changes its bits, so every score
    /// equals `exactScore(i, j)` exactly (a test checks it bit for bit). The
    /// exact rescoring of the similarity core spent ~0.12–0.16 s of a 1.1 s
    /// ranking at 50,000 people in the merge, 0.05–0.07 s with the gather.
    ///
    /// - Complexity: O(nnz(i)) to scatter and clear, O(nnz(j)) per gather.
    @inlinable public func scatter(_ i: Int, into scratch: UnsafeMutablePointer<Double>) {
        for e in rowOffsets[i] ..< rowOffsets[i + 1] { scratch[Int(columns[e])] = values[e] }
    }

    /// Zeroes what ``scatter(_:into:)`` wrote for row i.
    @inlinable public func clear(_ i: Int, in scratch: UnsafeMutablePointer<Double>) {
        for e in rowOffsets[i] ..< rowOffsets[i + 1] { scratch[Int(columns[e])] = 0 }
    }

    /// `exactScore(i, j)`, bit for bit, with row i scattered into `scratch`.
    @inlinable public func gatheredScore(_ scratch: UnsafePointer<Double>, _ j: Int) -> Double {
        var sum = 0.0
        for e in rowOffsets[j] ..< rowOffsets[j + 1] { sum += scratch[Int(columns[e])] * values[e] }
        return sum
    }

    /// The shared tags of two profiles with their contribution to the score
    /// (`w_tags · x_it · x_jt`), largest first, ties by tag name (byte order).
    /// The plain definition; the export uses ``appendSharedTags(_:_:limit:to:)``,
    /// which the tests check against it.
    public func sharedTagContributions(_ i: Int, _ j: Int) -> [(tag: Int32, contribution: Double)] {
        var out: [(tag: Int32, contribution: Double)] = []
        var a = rowOffsets[i], b = rowOffsets[j]
        let aEnd = rowOffsets[i + 1], bEnd = rowOffsets[j + 1]
        while a < aEnd && b < bEnd && columns[a] < tagColumns && columns[b] < tagColumns {
            let ca = columns[a], cb = columns[b]
            if ca == cb {
                out.append((columnTag[Int(ca)], values[a] * values[b]))
                a += 1; b += 1
            } else if ca < cb {
                a += 1
            } else {
                b += 1
            }
        }
        // Tag index order is byte order of the names, so the index breaks ties.
        out.sort { $0.contribution != $1.contribution ? $0.contribution > $1.contribution : $0.tag < $1.tag }
        return out
    }

    /// Appends to `out` the first `limit` tags of
    /// ``sharedTagContributions(_:_:)``, in that order, without allocating:
    /// the export explains every `matches` row this way (about 480,000 pairs
    /// at 50,000 people). The merge keeps only the best `limit` so far, by
    /// insertion into a stack buffer.
    /// - Complexity: O(nnz(i) + nnz(j) + s · limit) for s shared tags.
    public func appendSharedTags(_ i: Int, _ j: Int, limit: Int, to out: inout [Int32]) {
        let aEnd = rowOffsets[i + 1], bEnd = rowOffsets[j + 1]
        let capacity = min(limit, aEnd - rowOffsets[i], bEnd - rowOffsets[j])
        guard capacity > 0 else { return }
        withUnsafeTemporaryAllocation(of: (tag: Int32, contribution: Double).self, capacity: capacity) { best in
            var kept = 0
            var a = rowOffsets[i], b = rowOffsets[j]
            while a < aEnd && b < bEnd {
                let ca = columns[a], cb = columns[b]
                guard ca < tagColumns && cb < tagColumns else { break }
                if ca < cb { a += 1; continue }
                if cb < ca { b += 1; continue }
                let item = (tag: columnTag[Int(ca)], contribution: values[a] * values[b])
                a += 1; b += 1
                // Same order as the sort in sharedTagContributions.
                func before(_ x: (tag: Int32, contribution: Double), _ y: (tag: Int32, contribution: Double)) -> Bool {
                    x.contribution != y.contribution ? x.contribution > y.contribution : x.tag < y.tag
                }
                if kept == capacity {
                    guard before(item, best[kept - 1]) else { continue }
                    kept -= 1
                }
                var k = kept
                while k > 0 && before(item, best[k - 1]) {
                    best[k] = best[k - 1]
                    k -= 1
                }
                best[k] = item
                kept += 1
            }
            for k in 0 ..< kept { out.append(best[k].tag) }
        }
    }

    /// ``appendSharedTags(_:_:limit:to:)`` for row `e` of `matches`
    /// (`owner[e]` and its `e`-th entry's candidate), as the export explains
    /// every row in order.
    ///
    /// The candidate's row is a random access into ~130 bytes per profile: at
    /// 50,000 people two thirds of the loop's samples waited on it. So this
    /// also starts loading the candidates' rows of the rows 16 entries ahead
    /// (their `rowOffsets`) and 8 ahead (their columns and values, whose
    /// offsets have arrived by then): 3.7–3.9% → 1.7–1.8% of the run's CPU
    /// samples, the prefetches counted. Hints only: no effect on any result.
    public func appendSharedTags(ofEntry e: Int, in matches: RankedMatches, owner: [Int], limit: Int,
                                 to out: inout [Int32]) {
        let entries = matches.entries
        if e + 16 < entries.count {
            rowOffsets.withUnsafeBufferPointer { kindred_prefetch($0.baseAddress! + Int(entries[e + 16].index)) }
        }
        if e + 8 < entries.count { prefetchEntries(Int(entries[e + 8].index)) }
        appendSharedTags(owner[e], Int(entries[e].index), limit: limit, to: &out)
    }

    /// Prefetches row j's columns and values (see ``appendSharedTags(ofEntry:in:owner:limit:to:)``).
    private func prefetchEntries(_ j: Int) {
        let start = rowOffsets[j], end = rowOffsets[j + 1]
        guard start < end else { return }
        columns.withUnsafeBufferPointer {
            kindred_prefetch($0.baseAddress! + start)
            kindred_prefetch($0.baseAddress! + end - 1)
        }
        values.withUnsafeBufferPointer {
            kindred_prefetch($0.baseAddress! + start)
            kindred_prefetch($0.baseAddress! + (start + end - 1) / 2)
            kindred_prefetch($0.baseAddress! + end - 1)
        }
    }

    /// Writes the given profiles' rows, densely and in single precision, into
    /// `out` (row-major, `rows.count × dimension`, zero-filled first).
    public func fillDense(rows: some Collection<Int32>, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count >= rows.count * dimension)
        out.update(repeating: 0)
        for (r, p) in rows.enumerated() {
            let base = r * dimension
            for k in rowOffsets[Int(p)] ..< rowOffsets[Int(p) + 1] {
                out[base + Int(columns[k])] = Float(values[k])
            }
        }
    }
}
