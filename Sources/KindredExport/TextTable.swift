/// A list of strings encoded once into one immutable UTF-8 buffer, so the
/// writers copy bytes per row instead of re-encoding (or re-escaping) a Swift
/// `String` for each of the ~500,000 `matches` rows that mention it.
///
/// The buffer is allocated once and never moves or changes while the table is
/// alive, which is what lets SQLite bind its bytes without copying them
/// (``SQLiteDatabase/Statement/bindText(_:_:)``).
///
/// This file and ``SQLiteDatabase`` are the export's only unsafe code.
final class TextTable: @unchecked Sendable {
    // @unchecked Sendable: immutable after init; readers on several threads
    // only read.
    private let storage: UnsafeMutableRawBufferPointer
    /// `offsets[i] ..< offsets[i + 1]` are item i's bytes.
    private let offsets: [Int]

    /// Encodes each item with `encode`, which appends its bytes to the buffer
    /// it is given. - Complexity: O(total bytes).
    init<S: Sequence>(_ items: S, encode: (S.Element, inout [UInt8]) -> Void) {
        var bytes: [UInt8] = []
        var offsets = [0]
        for item in items {
            encode(item, &bytes)
            offsets.append(bytes.count)
        }
        // At least one byte, so the base address is never nil.
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        bytes.withUnsafeBytes { storage.copyMemory(from: $0) }
        self.storage = storage
        self.offsets = offsets
    }

    deinit { storage.deallocate() }

    var count: Int { offsets.count - 1 }

    /// Item i's bytes, valid for the table's lifetime. Swift may release an
    /// object right after its last use, so a caller that keeps the pointer
    /// past the call (SQLite binding) holds the table with
    /// `withExtendedLifetime` around that use.
    @inline(__always) subscript(i: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage[offsets[i] ..< offsets[i + 1]])
    }
}

extension TextTable {
    /// The strings' UTF-8 bytes as they are (for SQLite text columns).
    static func plain(_ strings: [String]) -> TextTable {
        TextTable(strings) { s, out in out.append(contentsOf: s.utf8) }
    }

    /// Each string as a JSON string literal, quotes included (for the JSON
    /// export and for JSON arrays stored in SQLite).
    static func jsonQuoted(_ strings: [String]) -> TextTable {
        TextTable(strings) { s, out in JSONText.appendQuoted(s, to: &out) }
    }
}
