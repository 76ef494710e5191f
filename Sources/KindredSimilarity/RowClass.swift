import KindredCore
import KindredVectorize

/// The active profiles of one role, reordered for blocking, in the two forms
/// the tile kernel reads: dense rows over the dense columns, and sparse rows
/// plus a per-block inverted index over the sparse columns.
///
/// Rows are ordered by (minor, language mask, same-gender preference, gender,
/// strongest feature, index), so that a block of rows mostly speaks one set
/// of languages, is all minors or all adults and is of one gender preference
/// and gender (a pair of blocks that can hold no allowed pair is then skipped
/// outright), and similar people share blocks.
///
/// - Complexity: O(n log n + nnz) to build; memory O(n · dDense + nnz +
///   blocks · dSparse).
struct RowClass: Sendable {
    /// Profile index of each row, in class order.
    let rows: [Int32]
    let block: Int
    /// Row-major `rows.count × denseCount`.
    let dense: [Float]
    /// Sparse rows (CSR over sparse column indices).
    let rowStart: [Int32]
    let rowColumn: [Int32]
    let rowValue: [Float]
    /// Per block, per sparse column: postings (position in block, value).
    /// Block b, column t: `postingStart[b * (sparseCount + 1) + t] ..< [... + t + 1]`.
    let postingStart: [Int32]
    let postingPosition: [UInt16]
    let postingValue: [Float]
    let blockMasks: [BlockMask]
    /// The rows' hard-rule attributes for the kernel's 8-lane prefilter.
    let lanes: RuleLanes
    /// Age band per row (0...6, 7 = unknown), when the age block goes by table.
    let ageBand: [UInt8]
    /// Per block and per query band (8): the age block's contribution to each
    /// of the block's rows, `w_age · kernel(q, band)`; `block` floats each.
    let agePrefill: [Float]

    var blockCount: Int { blockMasks.count }

    func blockRange(_ b: Int) -> Range<Int> { b * block ..< min(rows.count, (b + 1) * block) }

    init(members: [Int32], features: FeatureSpace, split: ColumnSplit, rules: CompiledRules, block: Int) {
        precondition(block <= Int(UInt16.max) + 1)
        self.block = block
        // Rows are grouped by safeguarding side, languages, gender preference
        // and gender, so most blocks are homogeneous in all four and
        // ``BlockMask`` can skip block pairs that hold no allowed pair (e.g.
        // people who ask for the same gender against a block of another
        // gender), and fewer disallowed pairs reach the kernel's rule test.
        // Within that, rows sharing their strongest feature sit together.
        // The sort keys are gathered once into one array (a dictionary of
        // strongest features looked up inside the comparator cost ~0.02 s of
        // hashing at 50,000 people); the profile index makes the order total.
        struct Key {
            var minor: UInt8, languages: UInt64, sameGender: UInt8, gender: Int32, strongest: Int32, profile: Int32
            static func before(_ a: Key, _ b: Key) -> Bool {
                if a.minor != b.minor { return a.minor < b.minor }
                if a.languages != b.languages { return a.languages < b.languages }
                if a.sameGender != b.sameGender { return a.sameGender < b.sameGender }
                if a.gender != b.gender { return a.gender < b.gender }
                if a.strongest != b.strongest { return a.strongest < b.strongest }
                return a.profile < b.profile
            }
        }
        var keys = members.map { p -> Key in
            let i = Int(p)
            var best: (Int32, Double) = (-1, 0)
            for k in features.rowOffsets[i] ..< features.rowOffsets[i + 1] where features.values[k] > best.1 {
                best = (features.columns[k], features.values[k])
            }
            return Key(minor: rules.flags[i] & CompiledRules.minorFlag, languages: rules.languageMask[i],
                       sameGender: rules.flags[i] & CompiledRules.sameGenderFlag, gender: rules.gender[i],
                       strongest: best.0, profile: p)
        }
        keys.sort(by: Key.before)
        let rows = keys.map(\.profile)
        self.rows = rows
        lanes = RuleLanes(rows: rows, rules: rules)
        let dd = split.denseCount, ds = split.sparseCount
        var dense = [Float](repeating: 0, count: rows.count * dd)
        var rowStart: [Int32] = [0]
        var rowColumn: [Int32] = [], rowValue: [Float] = []
        for (r, p) in rows.enumerated() {
            for k in features.rowOffsets[Int(p)] ..< features.rowOffsets[Int(p) + 1] {
                let c = Int(features.columns[k])
                let v = Float(features.values[k])
                if split.ageByTable && features.ageColumns!.contains(c) { continue }
                if split.denseIndex[c] >= 0 {
                    dense[r * dd + Int(split.denseIndex[c])] = v
                } else {
                    rowColumn.append(split.sparseIndex[c])
                    rowValue.append(v)
                }
            }
            rowStart.append(Int32(rowColumn.count))
        }
        self.dense = dense
        self.rowStart = rowStart
        self.rowColumn = rowColumn
        self.rowValue = rowValue

        // Per-block inverted index, by counting sort over (block, column).
        let blocks = (rows.count + block - 1) / block
        var start = [Int32](repeating: 0, count: blocks * (ds + 1) + 1)
        for r in rows.indices {
            let b = r / block
            for k in Int(rowStart[r]) ..< Int(rowStart[r + 1]) { start[b * (ds + 1) + Int(rowColumn[k]) + 1] += 1 }
        }
        for i in 1 ..< start.count { start[i] += start[i - 1] }
        var fill = start
        var position = [UInt16](repeating: 0, count: rowColumn.count)
        var value = [Float](repeating: 0, count: rowColumn.count)
        for r in rows.indices {
            let b = r / block
            for k in Int(rowStart[r]) ..< Int(rowStart[r + 1]) {
                let slot = b * (ds + 1) + Int(rowColumn[k])
                let at = Int(fill[slot])
                position[at] = UInt16(r - b * block)
                value[at] = rowValue[k]
                fill[slot] += 1
            }
        }
        postingStart = start
        postingPosition = position
        postingValue = value
        blockMasks = (0 ..< blocks).map { b in
            BlockMask(rows: rows[b * block ..< min(rows.count, (b + 1) * block)], rules: rules)
        }
        let bands = rows.map { p -> UInt8 in features.ageBand(Int(p)).map { UInt8($0) } ?? 7 }
        ageBand = bands
        if split.ageByTable {
            let w = Float(features.weights.age)
            var prefill = [Float](repeating: 0, count: blocks * 8 * block)
            for b in 0 ..< blocks {
                for q in 0 ..< 7 {
                    for r in b * block ..< min(rows.count, (b + 1) * block) where bands[r] < 7 {
                        let d = abs(q - Int(bands[r]))
                        prefill[(b * 8 + q) * block + r - b * block] = w * Float(max(0, AgeBand.kernelWidth - d)) / Float(AgeBand.kernelWidth)
                    }
                }
            }
            agePrefill = prefill
        } else {
            agePrefill = []
        }
    }
}

/// What a block of rows can possibly pair with: the union of its languages,
/// whether it holds minors and adults, the genders it holds and whether
/// anyone in it accepts any gender. Each is a necessary condition for an
/// allowed pair (rules 3, 4, 5), so two blocks that fail one cannot hold an
/// allowed pair and their product is skipped.
struct BlockMask: Sendable {
    var languages: UInt64 = 0
    var hasMinor = false
    var hasAdult = false
    /// Bit `min(gender id, 63)` for every known gender in the block.
    var genders: UInt64 = 0
    /// Whether some row in the block does not ask for the same gender.
    var hasFlexible = false

    init(rows: ArraySlice<Int32>, rules: CompiledRules) {
        for r in rows {
            languages |= rules.languageMask[Int(r)]
            if rules.flags[Int(r)] & CompiledRules.minorFlag != 0 { hasMinor = true } else { hasAdult = true }
            genders |= BlockMask.genderBit(rules.gender[Int(r)])
            if rules.flags[Int(r)] & CompiledRules.sameGenderFlag == 0 { hasFlexible = true }
        }
    }

    /// 0 for an unknown gender (it matches no one under rule 5).
    @inline(__always)
    static func genderBit(_ id: Int32) -> UInt64 {
        id == 0 ? 0 : 1 << UInt64(min(Int(id), 63))
    }

    /// Whether row `row` of a class (by its rule lanes) could pair with
    /// someone in this block. Languages are compared folded to 32 bits, so
    /// this may admit a row that has no partner here, never the reverse.
    @inline(__always)
    func admits(_ lanes: RuleLanes, row: Int) -> Bool {
        let flags = lanes.flags[row]
        let minor = flags & RuleLanes.minor != 0
        guard lanes.language[row] & RuleLanes.fold(languages) != 0 && (minor ? hasMinor : hasAdult) else { return false }
        return (flags & RuleLanes.sameGender == 0 && hasFlexible) || BlockMask.genderBit(lanes.gender[row]) & genders != 0
    }

    static func compatible(_ a: BlockMask, _ b: BlockMask) -> Bool {
        a.languages & b.languages != 0 && ((a.hasMinor && b.hasMinor) || (a.hasAdult && b.hasAdult))
            && ((a.hasFlexible && b.hasFlexible) || a.genders & b.genders != 0)
    }
}
