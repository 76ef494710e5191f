import CFusedKernel

/// Per-worker buffers of the fused dense kernel (`CFusedKernel`), used instead
/// of `cblas_sgemm` and the panel scan on the all-dense kernel when the CPU
/// has AVX2 and FMA (see ``TileKernel``), in its AVX-512 variant where the
/// CPU has that too and the options allow it.
///
/// Memory per worker: the packed B block, `4 · block · D_dense` bytes (about
/// 250 KiB at 124 dense columns, 4 MiB at 2,060), two threshold arrays and
/// one bit per group of 8 scores in the panel. A is read in place.
final class FusedScratch {
    /// Whether this CPU and OS run the fused kernel (AVX2 and FMA).
    static let isSupported = kindred_fused_supported() != 0
    /// Whether this CPU and OS also run the AVX-512 variant.
    static let isAVX512Supported = kindred_fused_avx512_supported() != 0
    static let stripRows = Int(KINDRED_FUSED_MR)
    static let stripColumns = Int(KINDRED_FUSED_NR)

    /// Rows of the B block, packed in strips of ``stripColumns`` (64-byte aligned: one cache line per 16 floats).
    let packedB: UnsafeMutablePointer<Float>
    /// The panel rows' thresholds, +∞ on the padding.
    let rowThreshold: UnsafeMutablePointer<Float>
    /// The B block's column thresholds, +∞ on the padding.
    let columnThreshold: UnsafeMutablePointer<Float>
    /// Per panel row, one bit per group of 8 columns that holds a score that
    /// reached a threshold (`maskWords` words per row).
    let groupMask: UnsafeMutablePointer<UInt64>
    let maskWords: Int
    /// Row stride of the scores the kernel writes into the worker's tile:
    /// the block rounded up to whole strips.
    let stride: Int
    /// Whether ``scores(rows:m:n:dimension:out:)`` runs the AVX-512 variant.
    let avx512: Bool

    init(block: Int, panelRows: Int, dimension: Int, avx512: Bool) {
        precondition(!avx512 || Self.isAVX512Supported)
        self.avx512 = avx512
        let rowsPadded = (panelRows + Self.stripRows - 1) / Self.stripRows * Self.stripRows
        stride = (block + Self.stripColumns - 1) / Self.stripColumns * Self.stripColumns
        maskWords = (stride / 8 + 63) / 64
        packedB = UnsafeMutableRawPointer.allocate(byteCount: max(1, stride * dimension) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(1, stride * dimension))
        rowThreshold = .allocate(capacity: rowsPadded)
        rowThreshold.initialize(repeating: .infinity, count: rowsPadded)
        columnThreshold = .allocate(capacity: stride)
        columnThreshold.initialize(repeating: .infinity, count: stride)
        groupMask = .allocate(capacity: rowsPadded * maskWords)
    }

    deinit {
        UnsafeMutableRawPointer(packedB).deallocate()
        rowThreshold.deallocate()
        columnThreshold.deallocate()
        groupMask.deallocate()
    }

    /// The panel's `m` rows of A (`dimension` floats each, from `rows`)
    /// against the packed B block's `n` rows, tested against the threshold
    /// arrays (see `kindred_fused_scores`): hit micro-tiles go to `out`, the
    /// flags to ``groupMask``. Both variants give the same bits.
    func scores(rows: UnsafePointer<Float>, m: Int, n: Int, dimension: Int, out: UnsafeMutablePointer<Float>) {
        if avx512 {
            _ = kindred_fused_scores_avx512(rows, m, packedB, n, dimension, rowThreshold, columnThreshold, out, stride,
                                            groupMask, maskWords)
        } else {
            _ = kindred_fused_scores(rows, m, packedB, n, dimension, rowThreshold, columnThreshold, out, stride,
                                     groupMask, maskWords)
        }
    }

    /// Tile scratch floats a worker needs for panels of `panelRows` rows
    /// against blocks of `block` rows, with or without the fused kernel.
    static func tileCapacity(block: Int, panelRows: Int) -> Int {
        panelRows * ((block + stripColumns - 1) / stripColumns * stripColumns)
    }
}
