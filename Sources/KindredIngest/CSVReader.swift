/// A byte-level RFC 4180 reader over a whole file held in memory.
///
/// - BOM: a leading UTF-8 byte-order mark is skipped.
/// - Records end at LF or CRLF outside quotes; quoted fields may hold commas,
///   doubled quotes and line breaks. Blank lines are skipped.
/// - Each record knows the physical line (1-based) where it starts, so rejects
///   and errors point at the line an editor shows.
/// - Fields are byte ranges into the buffer; text is made only for the fields a
///   loader asks for (`string(_:)`), which keeps the tags file cheap.
///
/// The reader does not validate UTF-8: ``InputFile`` does that once, up front,
/// because a bad byte makes the whole file fatal (contract §1).
///
/// - Complexity: O(n) in the file size, one pass, no per-byte allocation.
public struct CSVReader {
    /// A structural problem in one record; the record is skipped.
    public struct RecordError: Error, Equatable {
        public var line: Int
        public var message: String
    }

    /// One field: a byte range and whether it was quoted (so `""` must be undone).
    public struct Field {
        public var range: Range<Int>
        public var quoted: Bool
    }

    private let bytes: [UInt8]
    private var position: Int
    private var line: Int

    /// Fields of the record last returned by ``next()``.
    public private(set) var fields: [Field] = []
    /// The physical line where the record last returned starts.
    public private(set) var recordLine: Int = 0

    public init(bytes: [UInt8]) {
        self.bytes = bytes
        let hasBOM = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        position = hasBOM ? 3 : 0
        line = 1
    }

    private static let quote = UInt8(ascii: "\"")
    private static let comma = UInt8(ascii: ",")
    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")

    /// Reads the next record into ``fields``.
    ///
    /// Returns `.success(true)` for a record, `.success(false)` at the end, or
    /// `.failure` for a malformed record (the reader has moved past it).
    public mutating func next() -> Result<Bool, RecordError> {
        fields.removeAll(keepingCapacity: true)
        // Skip blank lines (LF or CRLF alone).
        while position < bytes.count {
            if bytes[position] == CSVReader.lf {
                position += 1; line += 1
            } else if bytes[position] == CSVReader.cr && position + 1 < bytes.count && bytes[position + 1] == CSVReader.lf {
                position += 2; line += 1
            } else {
                break
            }
        }
        guard position < bytes.count else { return .success(false) }
        recordLine = line
        let n = bytes.count
        while true {
            // At the start of a field.
            if position < n && bytes[position] == CSVReader.quote {
                let start = position + 1
                var p = start
                var closed = false
                while p < n {
                    let b = bytes[p]
                    if b == CSVReader.quote {
                        if p + 1 < n && bytes[p + 1] == CSVReader.quote { p += 2; continue }
                        closed = true
                        break
                    }
                    if b == CSVReader.lf { line += 1 }
                    p += 1
                }
                guard closed else {
                    position = n
                    return .failure(RecordError(line: recordLine,
                        message: "unterminated quoted field in column \(fields.count + 1) (it runs to the end of the file)"))
                }
                fields.append(Field(range: start ..< p, quoted: true))
                position = p + 1
                // After a closing quote: a comma, a line end or the end of file.
                if position >= n { return .success(true) }
                let b = bytes[position]
                if b == CSVReader.comma { position += 1; continue }
                if b == CSVReader.lf { position += 1; line += 1; return .success(true) }
                if b == CSVReader.cr && position + 1 < n && bytes[position + 1] == CSVReader.lf {
                    position += 2; line += 1; return .success(true)
                }
                let column = fields.count
                skipToLineEnd()
                return .failure(RecordError(line: recordLine,
                    message: "unexpected character after the closing quote of column \(column)"))
            } else {
                let start = position
                var p = position
                while p < n {
                    let b = bytes[p]
                    if b == CSVReader.comma || b == CSVReader.lf { break }
                    if b == CSVReader.quote {
                        position = p
                        let column = fields.count + 1
                        skipToLineEnd()
                        return .failure(RecordError(line: recordLine,
                            message: "quote inside an unquoted field in column \(column)"))
                    }
                    p += 1
                }
                var end = p
                if p < n && bytes[p] == CSVReader.lf && end > start && bytes[end - 1] == CSVReader.cr { end -= 1 }
                if p >= n && end > start && bytes[end - 1] == CSVReader.cr { end -= 1 }
                fields.append(Field(range: start ..< end, quoted: false))
                if p >= n { position = n; return .success(true) }
                position = p + 1
                if bytes[p] == CSVReader.lf { line += 1; return .success(true) }
                // A comma: the next field follows (possibly empty at line end).
            }
        }
    }

    /// Moves past the rest of the current physical line.
    private mutating func skipToLineEnd() {
        while position < bytes.count && bytes[position] != CSVReader.lf { position += 1 }
        if position < bytes.count { position += 1; line += 1 }
    }

    /// The text of a field of the current record, with `""` undone.
    public func string(_ field: Field) -> String {
        bytes.withUnsafeBufferPointer { buf in
            let slice = UnsafeBufferPointer(rebasing: buf[field.range])
            guard field.quoted, slice.contains(CSVReader.quote) else {
                return String(decoding: slice, as: UTF8.self)
            }
            var out: [UInt8] = []
            out.reserveCapacity(slice.count)
            var i = 0
            while i < slice.count {
                out.append(slice[i])
                i += slice[i] == CSVReader.quote ? 2 : 1
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// The raw bytes of a field of the current record (quotes doubled inside a
    /// quoted field are not undone: check ``Field/quoted`` first).
    @inline(__always)
    public func withBytes<R>(_ field: Field, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[field.range])) }
    }

    /// Whether a field is empty (zero bytes).
    @inlinable public func isEmpty(_ field: Field) -> Bool { field.range.isEmpty }
}
