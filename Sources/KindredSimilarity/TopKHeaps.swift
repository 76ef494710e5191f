/// Per query row: a bounded min-heap of the k best ranking keys offered so
/// far, plus a *reserve* of up to `reserve` further keys within `margin` of
/// the heap's worst, in one flat allocation (rows × (k + reserve) `UInt64`s:
/// the heap in the first k slots, the reserve after it).
///
/// A key packs a candidate as `micro << 32 | (UInt32.max - index)`, so a larger
/// key is a better candidate in the contract's order (higher rounded score,
/// then smaller id). The heap's root is the worst of the k best.
///
/// Why a reserve: the keys are float scores, and the exact rescoring needs
/// every candidate whose exact key could be in the top k. Those all have a
/// float key within `margin` micro of the k-th best float key (see
/// ``HeapSet/margin(terms:)``). So a row only needs to look at scores that
/// reach `root − margin`, and to keep the few that do but miss the heap.
/// Before, each row kept its k + slack best floats and filtered at the
/// (k + slack)-th best, far below the k-th: at 64 tags (on every kernel: the
/// selection is the same), 1.50% of the scores reached the scalar checks,
/// against 0.93% with the reserve (docs/Architecture.md).
///
/// The candidates kept are a superset of what a heap of the k + reserve best
/// floats would hold within the margin: a needed candidate is lost only if
/// k + reserve better float keys were offered, as before.
struct TopKHeaps: ~Copyable {
    let k: Int
    let reserve: Int
    let rows: Int
    /// Micro units below the heap's worst that a key may be and still matter.
    let margin: Int32
    private let keys: UnsafeMutablePointer<UInt64>
    private let heapCounts: UnsafeMutablePointer<Int32>
    private let reserveCounts: UnsafeMutablePointer<Int32>

    init(rows: Int, k: Int, reserve: Int, margin: Int32) {
        precondition(k > 0 && reserve >= 0 && margin >= 0)
        self.rows = rows
        self.k = k
        self.reserve = reserve
        self.margin = margin
        keys = .allocate(capacity: max(1, rows * (k + reserve)))
        heapCounts = .allocate(capacity: max(1, rows))
        heapCounts.initialize(repeating: 0, count: max(1, rows))
        reserveCounts = .allocate(capacity: max(1, rows))
        reserveCounts.initialize(repeating: 0, count: max(1, rows))
    }

    deinit {
        keys.deallocate()
        heapCounts.deallocate()
        reserveCounts.deallocate()
    }

    @inline(__always)
    static func key(micro: Int32, index: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: micro)) << 32 | UInt64(UInt32.max - UInt32(bitPattern: index))
    }

    @inline(__always)
    static func index(of key: UInt64) -> Int32 {
        Int32(bitPattern: UInt32.max - UInt32(truncatingIfNeeded: key))
    }

    @inline(__always)
    static func micro(of key: UInt64) -> Int32 { Int32(truncatingIfNeeded: key >> 32) }

    @inline(__always) func isFull(_ row: Int) -> Bool { Int(heapCounts[row]) == k }
    /// The worst of the k best; only meaningful when the row's heap is not empty.
    @inline(__always) func minKey(_ row: Int) -> UInt64 { keys[row * (k + reserve)] }

    /// The smallest micro score that can still matter for a full row.
    @inline(__always)
    func floorMicro(_ row: Int) -> Int32 { TopKHeaps.micro(of: minKey(row)) &- margin }

    /// Whether an offer of `key` could change what the row keeps: always
    /// while the heap has room, then only for keys that reach the floor.
    @inline(__always)
    func matters(_ row: Int, _ key: UInt64) -> Bool {
        !isFull(row) || TopKHeaps.micro(of: key) >= floorMicro(row)
    }

    /// Offers a key. While the heap has room it goes in; after that a key that
    /// beats the root replaces it, and the key that loses its heap place (the
    /// old root or the offered key) goes to the reserve if it reaches the floor.
    @inline(__always)
    func offer(_ row: Int, _ key: UInt64) {
        let h = keys + row * (k + reserve)
        let n = Int(heapCounts[row])
        if n < k {
            var i = n  // sift up
            while i > 0 {
                let parent = (i - 1) >> 1
                if h[parent] <= key { break }
                h[i] = h[parent]
                i = parent
            }
            h[i] = key
            heapCounts[row] = Int32(n + 1)
            return
        }
        var loser = key
        if key > h[0] {
            loser = h[0]
            var i = 0  // replace the root and sift down
            while true {
                let l = 2 * i + 1
                if l >= n { break }
                let r = l + 1
                let c = r < n && h[r] < h[l] ? r : l
                if h[c] >= key { break }
                h[i] = h[c]
                i = c
            }
            h[i] = key
        }
        keep(row, loser, in: h + k)
    }

    /// Puts a key that missed the heap into the row's reserve: into a free
    /// slot, else over the reserve's smallest key if it beats it. Rare (a few
    /// per row), so a linear scan.
    private func keep(_ row: Int, _ key: UInt64, in r: UnsafeMutablePointer<UInt64>) {
        guard reserve > 0, TopKHeaps.micro(of: key) >= floorMicro(row) else { return }
        let n = Int(reserveCounts[row])
        if n < reserve {
            r[n] = key
            reserveCounts[row] = Int32(n + 1)
            return
        }
        var smallest = 0
        for i in 1 ..< n where r[i] < r[smallest] { smallest = i }
        if key > r[smallest] { r[smallest] = key }
    }

    /// The kept keys of a row (heap, then reserve), in no particular order.
    func keys(_ row: Int) -> UnsafeBufferPointer<UInt64> {
        // The reserve is only used once the heap is full, so the two are contiguous.
        UnsafeBufferPointer(start: keys + row * (k + reserve), count: Int(heapCounts[row] + reserveCounts[row]))
    }
}
