/// A set of byte strings (profile ids, tag names), each numbered in the order it
/// was first inserted, looked up straight from the input buffer.
///
/// The tags file has one row per (profile, tag): 400,000 rows at 50,000
/// people. Making a `String` per field and hashing it with the standard
/// library's seeded SipHash cost about 1 µs a row; hashing the field's bytes
/// where they lie costs a few nanoseconds, and only a tag seen for the first
/// time becomes a `String`.
///
/// Open addressing with linear probing, at most half full. The hash is a
/// multiply-xor over 8-byte words with a 64-bit finaliser (MurmurHash3's
/// `fmix64`). It is not seeded: the inputs are a programme's own export files,
/// and a crafted file could at worst slow its own ingest down.
///
/// - Complexity: `insert` and `find` are O(length) expected.
struct ByteStringMap {
    /// Per slot: the entry number + 1, or 0 when free.
    private var slots: [Int32]
    private var mask: Int
    /// Entry i's bytes are `arena[offsets[i] ..< offsets[i + 1]]`.
    private var arena: [UInt8] = []
    private var offsets: [Int] = [0]
    private var hashes: [UInt64] = []

    /// The number of distinct strings inserted.
    var count: Int { hashes.count }

    init(expectedCount: Int = 16) {
        var size = 16
        while size < 2 * expectedCount { size *= 2 }
        slots = [Int32](repeating: 0, count: size)
        mask = size - 1
    }

    /// The number of `key`, inserting it if new.
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>) -> (number: Int32, inserted: Bool) {
        let h = ByteStringMap.hash(key)
        var s = Int(truncatingIfNeeded: h) & mask
        while slots[s] != 0 {
            let e = Int(slots[s]) - 1
            if hashes[e] == h && equals(e, key) { return (Int32(e), false) }
            s = (s + 1) & mask
        }
        let e = hashes.count
        hashes.append(h)
        arena.append(contentsOf: key)
        offsets.append(arena.count)
        slots[s] = Int32(e + 1)
        if 2 * hashes.count > slots.count { grow() }
        return (Int32(e), true)
    }

    mutating func insert(_ key: String) -> (number: Int32, inserted: Bool) {
        var key = key
        return key.withUTF8 { insert($0) }
    }

    /// The number of `key`, or `nil` when it was never inserted.
    func find(_ key: UnsafeBufferPointer<UInt8>) -> Int32? {
        let h = ByteStringMap.hash(key)
        var s = Int(truncatingIfNeeded: h) & mask
        while slots[s] != 0 {
            let e = Int(slots[s]) - 1
            if hashes[e] == h && equals(e, key) { return Int32(e) }
            s = (s + 1) & mask
        }
        return nil
    }

    func find(_ key: String) -> Int32? {
        var key = key
        return key.withUTF8 { find($0) }
    }

    /// Calls `body` with the bytes of string number `e`.
    func withBytes<R>(of e: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        arena.withUnsafeBufferPointer { a in
            body(UnsafeBufferPointer(rebasing: a[offsets[e] ..< offsets[e + 1]]))
        }
    }

    private func equals(_ e: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let lo = offsets[e], hi = offsets[e + 1]
        guard hi - lo == key.count else { return false }
        return arena.withUnsafeBufferPointer { a in
            key.isEmpty || memoryEqual(a.baseAddress! + lo, key.baseAddress!, key.count)
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: 0, count: size)
        mask = size - 1
        for (e, h) in hashes.enumerated() {
            var s = Int(truncatingIfNeeded: h) & mask
            while slots[s] != 0 { s = (s + 1) & mask }
            slots[s] = Int32(e + 1)
        }
    }

    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(key.count)
        guard let base = key.baseAddress else { return fmix(h) }
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i + 8 <= key.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 29
            i += 8
        }
        if i < key.count {
            var tail: UInt64 = 0
            for k in i ..< key.count { tail |= UInt64(base[k]) << UInt64(8 * (k - i)) }
            h = (h ^ tail) &* 0xFF51_AFD7_ED55_8CCD
        }
        return fmix(h)
    }

    private static func fmix(_ x: UInt64) -> UInt64 {
        var h = x
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }
}

/// `memcmp(a, b, n) == 0` without Foundation.
@inline(__always)
private func memoryEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    while i + 8 <= n {
        if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) {
            return false
        }
        i += 8
    }
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}
