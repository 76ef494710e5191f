import Foundation
import KindredCore

/// A fatal input problem: the run stops before anything is written (contract §1).
public struct InputError: Error, Equatable, CustomStringConvertible {
    /// The file's path as given.
    public var file: String
    /// The line, when one is known (e.g. the first invalid UTF-8 byte).
    public var line: Int?
    public var column: Int?
    public var message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var where_ = file
        if let line { where_ += ":\(line)" }
        if let column { where_ += ":\(column)" }
        return "\(where_): \(message)"
    }
}

/// A file read whole into memory and checked to be UTF-8.
public struct InputFile: Sendable {
    /// The path as given on the command line.
    public var path: String
    /// The base name, used in rejects.
    public var name: String
    public var bytes: [UInt8]

    /// Reads and validates a file. Throws ``InputError`` if it is missing,
    /// unreadable or not UTF-8 (naming the line of the first bad byte).
    public init(path: String) throws {
        self.path = path
        name = URL(fileURLWithPath: path).lastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputError(file: path, message: "file not found")
        }
        guard !isDirectory.boolValue else { throw InputError(file: path, message: "is a directory, not a file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(file: path, message: "cannot be read (check permissions)")
        }
        bytes = [UInt8](data)
        try InputFile.validateUTF8(bytes, file: path)
    }

    /// Wraps bytes already in memory (tests, generated data).
    public init(name: String, bytes: [UInt8]) throws {
        path = name
        self.name = name
        self.bytes = bytes
        try InputFile.validateUTF8(bytes, file: name)
    }

    /// Throws at the first byte sequence that is not well-formed UTF-8.
    ///
    /// - Complexity: O(n); ASCII runs are skipped eight bytes at a time.
    static func validateUTF8(_ bytes: [UInt8], file: String) throws {
        if let bad = firstInvalidUTF8(bytes) {
            var line = 1
            var lineStart = 0
            for i in 0 ..< bad where bytes[i] == UInt8(ascii: "\n") {
                line += 1
                lineStart = i + 1
            }
            throw InputError(file: file, line: line, column: bad - lineStart + 1,
                             message: "not valid UTF-8 (first bad byte here); was the file exported in another encoding? Save it as UTF-8")
        }
    }

    /// Offset of the first invalid byte, or `nil` when all is valid UTF-8.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { buf -> Int? in
            let n = buf.count
            var i = 0
            while i < n {
                // Fast path: eight ASCII bytes at once.
                if i + 8 <= n {
                    let word = UnsafeRawPointer(buf.baseAddress! + i).loadUnaligned(as: UInt64.self)
                    if word & 0x8080_8080_8080_8080 == 0 { i += 8; continue }
                }
                let b0 = buf[i]
                if b0 < 0x80 { i += 1; continue }
                let need: Int
                var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
                switch b0 {
                case 0xC2 ... 0xDF: need = 1
                case 0xE0: need = 2; lower = 0xA0
                case 0xE1 ... 0xEC, 0xEE ... 0xEF: need = 2
                case 0xED: need = 2; upper = 0x9F
                case 0xF0: need = 3; lower = 0x90
                case 0xF1 ... 0xF3: need = 3
                case 0xF4: need = 3; upper = 0x8F
                default: return i
                }
                guard i + need < n else { return i }
                for k in 1 ... need {
                    let b = buf[i + k]
                    let lo = k == 1 ? lower : 0x80, hi = k == 1 ? upper : 0xBF
                    if b < lo || b > hi { return i }
                }
                i += need + 1
            }
            return nil
        }
    }
}
