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

    func has(_ column: String) -> Bool { positions[column] != nil }
}
