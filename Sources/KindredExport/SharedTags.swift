import Dispatch
import Foundation

/// For each match row, its shared tags (tag indices, best first), parallel to
/// ``RankedMatches/entries``.
///
/// Explained lazily and once, in chunks of 16,384 rows: `init(rows:explain:)`
/// computes nothing. Readers take each chunk as it is published; a reader that
/// gets ahead computes the next unclaimed chunk itself instead of idling, and
/// waits only for a chunk being computed elsewhere. So each row is explained
/// once for both writers: in a nightly run the exporter's SQLite thread
/// explains them as it writes `matches` (while the decisions are made), and
/// the JSON writer reads them afterwards.
public struct SharedTags: Sendable {
    private let cache: Cache

    /// Precomputed lists in compressed form (`offsets` has one more entry than
    /// there are rows).
    public init(offsets: [Int], tags: [Int32]) {
        precondition(offsets.first == 0 && offsets.last == tags.count)
        let rows = offsets.count - 1
        cache = Cache(rows: rows, chunkSize: max(rows, 1), explain: nil)
        cache.publish(0, Chunk(offsets: offsets, tags: tags))
    }

    /// Row `r`'s list will be what `explain(r, &list)` appends to its
    /// (shared) argument, computed when first needed: no array per row.
    /// `explain` must be safe to call from any thread.
    public init(rows: Int, appending explain: @escaping @Sendable (Int, inout [Int32]) -> Void) {
        cache = Cache(rows: rows, chunkSize: 16384, explain: explain)
    }

    /// Row `r`'s list will be `explain(r)`, computed when first needed.
    /// `explain` must be safe to call from any thread.
    public init(rows: Int, explain: @escaping @Sendable (Int) -> [Int32]) {
        self.init(rows: rows) { r, list in list.append(contentsOf: explain(r)) }
    }

    public var count: Int { cache.rows }

    /// Row `entry`'s tags (may wait for, or compute, its chunk). For many rows
    /// in order, a ``Reader`` avoids the lock per call.
    public func of(_ entry: Int) -> ArraySlice<Int32> {
        var reader = Reader(self)
        return reader.of(entry)
    }

    /// Reads rows, holding on to the chunk it last needed: one lock per
    /// chunk, not per row. - Complexity: O(1) per row after the wait.
    public struct Reader {
        private let cache: Cache
        private var chunk: Chunk?
        private var first = 0, end = 0

        public init(_ tags: SharedTags) { cache = tags.cache }

        public mutating func of(_ entry: Int) -> ArraySlice<Int32> {
            if entry < first || entry >= end || chunk == nil {
                let c = entry / cache.chunkSize
                chunk = cache.chunk(c)
                first = c * cache.chunkSize
                end = min(first + cache.chunkSize, cache.rows)
            }
            return chunk.unsafelyUnwrapped.of(entry - first)
        }
    }
}

/// One chunk's lists, immutable once published.
private final class Chunk: Sendable {
    let offsets: [Int]
    let tags: [Int32]
    init(offsets: [Int], tags: [Int32]) {
        self.offsets = offsets
        self.tags = tags
    }

    func of(_ row: Int) -> ArraySlice<Int32> { tags[offsets[row] ..< offsets[row + 1]] }
}

/// The chunks, claimed in order and each computed exactly once, behind one
/// lock and condition (held only to claim, publish or look up a chunk).
private final class Cache: @unchecked Sendable {
    // @unchecked Sendable: `chunks` and `claimed` are only touched with
    // `condition` locked; the rest is immutable.
    let rows: Int
    let chunkSize: Int
    let chunkCount: Int
    private let explain: (@Sendable (Int, inout [Int32]) -> Void)?
    private let condition = NSCondition()
    private var chunks: [Chunk?]
    private var claimed: Int

    init(rows: Int, chunkSize: Int, explain: (@Sendable (Int, inout [Int32]) -> Void)?) {
        self.rows = rows
        self.chunkSize = chunkSize
        chunkCount = (rows + chunkSize - 1) / chunkSize
        self.explain = explain
        chunks = Array(repeating: nil, count: max(chunkCount, 1))
        claimed = explain == nil ? chunkCount : 0
    }

    /// Explains chunk `c`'s rows and publishes them. Called once per chunk,
    /// by the reader that claimed it.
    func compute(_ c: Int) {
        guard let explain else { return }
        let rowsOfChunk = c * chunkSize ..< min((c + 1) * chunkSize, rows)
        var offsets = [0], tags: [Int32] = []
        offsets.reserveCapacity(rowsOfChunk.count + 1)
        tags.reserveCapacity(rowsOfChunk.count * 4)
        for r in rowsOfChunk {
            explain(r, &tags)
            offsets.append(tags.count)
        }
        publish(c, Chunk(offsets: offsets, tags: tags))
    }

    func publish(_ c: Int, _ chunk: Chunk) {
        condition.lock()
        chunks[c] = chunk
        condition.broadcast()
        condition.unlock()
    }

    /// Chunk `c`, computing unclaimed chunks (in order, so up to and including
    /// `c`) while it is not ready, and waiting only when it is being computed
    /// by another thread.
    func chunk(_ c: Int) -> Chunk {
        precondition(c < chunkCount, "row out of range")
        while true {
            condition.lock()
            if let done = chunks[c] {
                condition.unlock()
                return done
            }
            if claimed < chunkCount {
                let mine = claimed
                claimed += 1
                condition.unlock()
                compute(mine)
                continue
            }
            condition.wait()
            condition.unlock()
        }
    }
}
