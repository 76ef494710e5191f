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

    /// One data record, or a reject for a malformed one.
    enum Row {
        case record(line: Int)
        case reject(Reject)
    }

    /// Advances to the next data record; `nil` at the end of the file.
    mutating func nextRow() -> Row? {
        switch reader.next() {
        case .success(false):
            return nil
        case .failure(let error):
            return .reject(Reject(file: file.name, line: error.line, column: nil, reason: error.message))
        case .success(true):
            if reader.fields.count != fieldCount {
                return .reject(Reject(file: file.name, line: reader.recordLine, column: nil,
                    reason: "expected \(fieldCount) fields as in the header, found \(reader.fields.count)"))
            }
            return .record(line: reader.recordLine)
        }
    }

    /// The text of a known column in the current record; "" when the column is absent.
    func value(_ column: String) -> String {
        guard let i = positions[column] else { return "" }
        return reader.string(reader.fields[i])
    }

    func has(_ column: String) -> Bool { positions[column] != nil }
}
