import KindredVectorize

/// Which feature columns the core multiplies densely (BLAS) and which it
/// accumulates sparsely (inverted lists).
///
/// A column present in a fraction p of the rows costs, per scored pair,
/// about `2 / R` seconds done densely (R = single-core sgemm flop rate) and
/// about `p² · h` done sparsely (h = cost of one scattered multiply-add).
/// Measured here, R ≈ 60 GFLOP/s and h ≈ 1.5 ns, so dense pays above
/// p ≈ 0.15: the age windows and the most common tags and availability
/// slots go dense, the long tail of tags goes sparse. `kindred bench
/// --kernel dense|sparse|hybrid` measures each choice on the machine.
public struct ColumnSplit: Sendable {
    /// The kernel policy.
    public enum Kernel: String, Sendable, CaseIterable {
        /// Dense, sparse or hybrid, whichever the cost model below expects to
        /// be fastest for this data (the default).
        case auto
        /// Columns with density at or above the threshold are dense.
        case hybrid
        /// Every column dense: pure blocked sgemm.
        case dense
        /// Every column sparse: pure inverted-list accumulation.
        case sparse
    }

    /// For each feature column, its dense index or -1.
    public let denseIndex: [Int32]
    /// For each feature column, its sparse index or -1.
    public let sparseIndex: [Int32]
    public let denseCount: Int
    public let sparseCount: Int
    /// Whether the age block is handled by per-block lookup tables instead
    /// (see ``RowClass``): its columns are then neither dense nor sparse.
    public let ageByTable: Bool
    /// The kernel in effect (`.auto` resolved).
    public let kernel: Kernel

    /// The kernel `.auto` picks, by the expected cost per scored pair on one
    /// core, with constants measured on the reference machine:
    /// - sparse: `1.6 ns` per expected shared sparse column (scattered add);
    /// - dense: `2 · D / 55 GFLOP/s`;
    /// - hybrid: `0.3 ns` (the small sgemm's fixed cost per tile element) plus
    ///   the dense columns' flops plus the remaining columns' scattered adds.
    /// Measured at 50,000 people this picks sparse for 2,000 and 256 tags and
    /// hybrid for 64 (the fastest of the three in each case).
    public static func choose(features: FeatureSpace, activeRows: Int, threshold: Double) -> Kernel {
        var df = [Int](repeating: 0, count: features.dimension)
        for c in features.columns { df[Int(c)] += 1 }
        let n = Double(max(1, activeRows))
        var hits = 0.0, columns = 0, denseHits = 0.0, denseColumns = 0
        for c in 0 ..< features.dimension {
            if let age = features.ageColumns, age.contains(c) { continue }  // handled by table
            let p = Double(df[c]) / n
            hits += p * p
            columns += 1
            if p >= threshold {
                denseHits += p * p
                denseColumns += 1
            }
        }
        let hit = 1.6e-9, flop = 2 / 55e9
        let costs: [(Kernel, Double)] = [
            (.sparse, hit * hits),
            (.dense, flop * Double(columns)),
            (.hybrid, 0.3e-9 + flop * Double(denseColumns) + hit * (hits - denseHits)),
        ]
        return costs.min { $0.1 < $1.1 }!.0
    }

    public init(features: FeatureSpace, activeRows: Int, kernel requested: Kernel, threshold: Double) {
        let kernel = requested == .auto
            ? ColumnSplit.choose(features: features, activeRows: activeRows, threshold: threshold) : requested
        self.kernel = kernel
        var df = [Int](repeating: 0, count: features.dimension)
        for c in features.columns { df[Int(c)] += 1 }
        var dense = [Int32](repeating: -1, count: features.dimension)
        var sparse = [Int32](repeating: -1, count: features.dimension)
        var nd: Int32 = 0, ns: Int32 = 0
        let n = Double(max(1, activeRows))
        // The age block has 7 possible values per side, so its contribution to
        // a tile row is one of 8 precomputed vectors per block: copying it
        // costs what zeroing the row would, and saves about one scattered
        // multiply-add per pair (age windows are the densest columns).
        ageByTable = kernel != .dense && features.ageColumns != nil
        for c in 0 ..< features.dimension {
            if ageByTable, features.ageColumns!.contains(c) { continue }
            let isDense: Bool
            switch kernel {
            case .dense: isDense = true
            case .sparse: isDense = false
            case .hybrid, .auto: isDense = Double(df[c]) / n >= threshold
            }
            if isDense { dense[c] = nd; nd += 1 } else { sparse[c] = ns; ns += 1 }
        }
        denseIndex = dense
        sparseIndex = sparse
        denseCount = Int(nd)
        sparseCount = Int(ns)
    }
}
