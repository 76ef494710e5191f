import KindredCore

/// A CSV file with its header resolved against a schema of known columns.
///
/// Column names are matched case-insensitively after trimming (contract §1);
/// unknown columns are remembered by name only, never read.
struct CSVTable {
    let file: InputFile
    var reader: CSVReader
    /// Position of each known column in the record, `nil` when absent.
    let positions: [String: Int]
    let fieldCount: Int
    let unknownColumns: [String]

    init(file: InputFile, required: [String], optional: [String]) throws {
        self.file = file
        reader = CSVReader(bytes: file.bytes)
        switch reader.next() {
        case .success(false):
            throw InputError(file: file.path, message: "is empty: a header row is required")
        case .failure(let error):
            throw InputError(file: file.path, line: error.line, message: "header row: \(error.message)")
        case .success(true):
            break
        }
        var positions: [String: Int] = [:]
        var unknown: [String] = []
        let known = Set(required + optional)
        for (i, field) in reader.fields.enumerated() {
            let name = TextNormalization.caseFolded(TextNormalization.trimmed(reader.string(field)))
            if known.contains(name) {
                if positions[name] != nil {
                    throw InputError(file: file.path, line: reader.recordLine,
                                     message: "header names column '\(name)' twice")
                }
                positions[name] = i
            } else if !name.isEmpty || reader.fields.count > 1 {
                unknown.append(name.isEmpty ? "(unnamed column \(i + 1))" : name)
            }
        }
        let missing = required.filter { positions[$0] == nil }
        if !missing.isEmpty {
            throw InputError(file: file.path, line: reader.recordLine,
                             message: "required column\(missing.count > 1 ? "s" : "") missing from the header: \(missing.joined(separator: ", "))")
        }
        self.positions = positions
        fieldCount = reader.fields.count
        unknownColumns = unknown
    }

    /// Malformed records and the rejects a loader reported with
    /// ``reject(_:_:)``, in file order.
    private(set) var rejects: [Reject] = []

    /// Advances to the next well-formed data record and returns the line where
    /// it starts; malformed records become rejects and are skipped. `nil` at
    /// the end of the file.
    mutating func nextRecord() -> Int? {
        while true {
            switch reader.next() {
            case .success(false):
                return nil
            case .failure(let error):
                rejects.append(Reject(file: file.name, line: error.line, column: nil, reason: error.message))
            case .success(true):
                guard reader.fields.count == fieldCount else {
                    reject(nil, "expected \(fieldCount) fields as in the header, found \(reader.fields.count)")
                    continue
                }
                return reader.recordLine
            }
        }
    }

    /// Records a reject for the current record.
    mutating func reject(_ column: String?, _ reason: String) {
        rejects.append(Reject(file: file.name, line: reader.recordLine, column: column, reason: reason))
    }

    /// The text of a known column in the current record; "" when the column is absent.
    func value(_ column: String) -> String {
        guard let i = positions[column] else { return "" }
        return reader.string(reader.fields[i])
    }

    /// A known column resolved once, for loops over many records: reading it
    /// costs no dictionary look-up of the column's name.
    struct Column {
        let position: Int?
    }

    func column(_ name: String) -> Column { Column(position: positions[name]) }

    /// The text of a resolved column in the current record; "" when absent.
    func value(_ column: Column) -> String {
        guard let i = column.position else { return "" }
        return reader.string(reader.fields[i])
    }

    /// The field's bytes when they are already its text: the column is
    /// present, and the field is unquoted or quoted without a doubled quote
    /// inside. `nil` otherwise (then use ``value(_:)-(Column)``). The buffer is
    /// valid only inside `body`.
    func withPlainBytes<R>(_ column: Column, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
        guard let i = column.position else { return body(nil) }
        let field = reader.fields[i]
        return reader.withBytes(field) { bytes in
            body(field.quoted && bytes.contains(UInt8(ascii: "\"")) ? nil : bytes)
        }
    }

    func has(_ column: String) -> Bool { positions[column] != nil }
}
