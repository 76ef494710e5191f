/// A skipped input row and why (contract §1, "Bad input").
///
/// `reason` never quotes the offending value: inputs hold sensitive data.
public struct Reject: Sendable, Equatable {
    /// The file's name as given on the command line, without directories.
    public var file: String
    /// 1-based physical line where the record starts.
    public var line: Int
    /// The column at fault, or `nil` when the whole row is (e.g. field count).
    public var column: String?
    public var reason: String

    public init(file: String, line: Int, column: String?, reason: String) {
        self.file = file
        self.line = line
        self.column = column
        self.reason = reason
    }
}

extension Reject: CustomStringConvertible {
    public var description: String {
        "\(file):\(line): \(column.map { "column '\($0)': " } ?? "")\(reason)"
    }
}
