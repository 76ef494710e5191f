import Synchronization

/// The running top-(k + slack) of every row of one side of a task, shared by
/// all workers, with one lock per block of rows.
///
/// A worker holds a block's lock while it offers that block's rows a panel's
/// worth of candidates. It may hold two (A's block, then B's; see
/// ``TileKernel``), always in that order, so there is no deadlock.
/// The final contents do not depend on the order of offers: a bounded heap
/// that only turns away keys below its full minimum ends with the top keys
/// of everything offered.
final class HeapSet: @unchecked Sendable {
    let heaps: TopKHeaps
    /// Per row: the float score a candidate must reach to enter the heap.
    let threshold: UnsafeMutablePointer<Float>
    private let locks: [BlockLock]
    let block: Int

    /// Scores whose rounding could reach 1e-6 pass; the exact rescoring drops
    /// any that round to 0.
    static let floor: Float = 0.25e-6

    init(rows: Int, capacity: Int, block: Int) {
        heaps = TopKHeaps(rows: rows, capacity: capacity)
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
            let worst = Int32(truncatingIfNeeded: heaps.minKey(row) >> 32)
            threshold[row] = max(HeapSet.floor, (Float(worst) - 0.5) / 1_000_000)
        }
    }

    /// Whether a key would enter the row's heap; the caller holds the lock.
    @inline(__always)
    func wouldAccept(_ row: Int, _ key: UInt64) -> Bool {
        !heaps.isFull(row) || key > heaps.minKey(row)
    }
}

final class BlockLock: Sendable {
    let mutex = Mutex(())
}
