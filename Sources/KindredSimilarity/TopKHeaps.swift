/// One bounded min-heap of ranking keys per query row of a block, in a single
/// flat allocation (rows × capacity `UInt64`s).
///
/// A key packs a candidate as `micro << 32 | (UInt32.max - index)`, so a larger
/// key is a better candidate in the contract's order (higher rounded score,
/// then smaller id). The heap's root is the worst kept candidate: a new one
/// enters only if its key beats the root, which is one integer comparison.
struct TopKHeaps: ~Copyable {
    let capacity: Int
    let rows: Int
    private let keys: UnsafeMutablePointer<UInt64>
    private let counts: UnsafeMutablePointer<Int>

    init(rows: Int, capacity: Int) {
        precondition(capacity > 0)
        self.rows = rows
        self.capacity = capacity
        keys = .allocate(capacity: rows * capacity)
        counts = .allocate(capacity: rows)
        counts.initialize(repeating: 0, count: rows)
    }

    deinit {
        keys.deallocate()
        counts.deallocate()
    }

    @inline(__always)
    static func key(micro: Int32, index: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: micro)) << 32 | UInt64(UInt32.max - UInt32(bitPattern: index))
    }

    @inline(__always)
    static func index(of key: UInt64) -> Int32 {
        Int32(bitPattern: UInt32.max - UInt32(truncatingIfNeeded: key))
    }

    @inline(__always) func count(_ row: Int) -> Int { counts[row] }
    @inline(__always) func isFull(_ row: Int) -> Bool { counts[row] == capacity }
    /// The worst kept key; only meaningful when the row's heap is not empty.
    @inline(__always) func minKey(_ row: Int) -> UInt64 { keys[row * capacity] }

    /// Offers a key: kept if the heap has room or the key beats the root.
    @inline(__always)
    func offer(_ row: Int, _ key: UInt64) {
        let h = keys + row * capacity
        var n = counts[row]
        if n < capacity {
            // Sift up.
            var i = n
            while i > 0 {
                let parent = (i - 1) >> 1
                if h[parent] <= key { break }
                h[i] = h[parent]
                i = parent
            }
            h[i] = key
            n += 1
            counts[row] = n
            return
        }
        guard key > h[0] else { return }
        // Replace the root and sift down.
        var i = 0
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

    /// The kept keys of a row, in no particular order.
    func keys(_ row: Int) -> UnsafeBufferPointer<UInt64> {
        UnsafeBufferPointer(start: keys + row * capacity, count: counts[row])
    }
}
