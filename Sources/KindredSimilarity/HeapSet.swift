import Synchronization

/// The running top k (and its reserve, see ``TopKHeaps``) of every row of one
/// side of a task, shared by all workers, with one lock per block of rows.
///
/// A worker holds a block's lock while it offers that block's rows a panel's
/// worth of candidates. It may hold two (A's block, then B's; see
/// ``TileKernel``), always in that order, so there is no deadlock.
/// The final heaps do not depend on the order of offers: a bounded heap that
/// only turns away keys below its full minimum ends with the top keys of
/// everything offered. The reserves can (they hold near misses seen while the
/// heap was still low), but the exact rescoring only keeps candidates that are
/// in the exact top k, and those are in heap or reserve whatever the order.
final class HeapSet: @unchecked Sendable {
    let heaps: TopKHeaps
    /// Per row: the float score a candidate must reach to matter (the heap's
    /// worst less the margin, once the heap is full).
    let threshold: UnsafeMutablePointer<Float>
    private let locks: [BlockLock]
    let block: Int

    /// Scores whose rounding could reach 1e-6 pass; the exact rescoring drops
    /// any that round to 0.
    static let floor: Float = 0.25e-6

    /// The margin, in micro units, that covers float error for scores that
    /// add up `terms` products of unit-norm rows.
    ///
    /// Rounding the inputs to float and adding `terms` products in any order
    /// (blocked, with FMA or not) errs by at most `(terms + 2) · u` of
    /// `Σ|a_i·b_i| ≤ |a|·|b| = 1` (`u = 2⁻²⁴`); the age table's values take up
    /// to three roundings of their own (`Float(w)`, the product, the
    /// division), counted as 2 more: `(terms + 4) · u` in all, with the caller
    /// counting the age table as one term. A candidate in the exact top k has a
    /// float score at most two such errors below the k-th best float score,
    /// and rounding to micro units moves either by one more micro (the `+ 2`).
    /// The bound is doubled for safety: 33 micro at 124 dense columns (`terms`
    /// 125), 495 at 2,060 (`terms` 2,061).
    static func margin(terms: Int) -> Int32 {
        let error = 2 * Double(terms + 4) * 0x1p-24
        return Int32((2 * error * 1_000_000).rounded(.up)) + 2
    }

    init(rows: Int, k: Int, reserve: Int, margin: Int32, block: Int) {
        heaps = TopKHeaps(rows: rows, k: k, reserve: reserve, margin: margin)
        threshold = .allocate(capacity: max(1, rows))
        threshold.initialize(repeating: HeapSet.floor, count: max(1, rows))
        self.block = block
        locks = (0 ..< (rows + block - 1) / block).map { _ in BlockLock() }
    }

    deinit { threshold.deallocate() }

    func withBlock<R>(_ b: Int, _ body: () -> R) -> R {
        locks[b].mutex.withLock { _ in body() }
    }

    /// Offers a key to a row; the caller holds the row's block lock.
    @inline(__always)
    func offer(_ row: Int, _ key: UInt64) {
        heaps.offer(row, key)
        if heaps.isFull(row) {
            threshold[row] = max(HeapSet.floor, (Float(heaps.floorMicro(row)) - 0.5) / 1_000_000)
        }
    }

    /// Whether a key could change what the row keeps (so is worth the exact
    /// rule check before ``offer(_:_:)``); the caller holds the lock.
    @inline(__always)
    func wouldAccept(_ row: Int, _ key: UInt64) -> Bool {
        heaps.matters(row, key)
    }
}

final class BlockLock: Sendable {
    let mutex = Mutex(())
}
