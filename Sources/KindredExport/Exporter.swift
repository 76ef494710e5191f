import Foundation
import KindredCore

/// Writes both exports so that each either holds the complete run or is left
/// exactly as it was (contract §1, "Nothing is ever half-written").
///
/// Order: (1) the JSON document is written whole to a temporary file beside
/// the target; (2) the SQLite run is appended in one transaction; (3) the
/// temporary JSON file is renamed over the target, which is atomic on one file
/// system. A failure in (1) or (2) removes the temporary file, rolls back the
/// transaction, and deletes a database file this run created.
public enum Exporter {
    public struct Outcome: Sendable {
        public var runID: Int64?
        public var jsonBytes: Int
    }

    public static func write(_ report: RunReport, databasePath: String?, jsonPath: String?) throws -> Outcome {
        let fm = FileManager.default
        var temporaryJSON: String?
        var jsonBytes = 0
        defer { if let t = temporaryJSON { try? fm.removeItem(atPath: t) } }
        if let jsonPath {
            let bytes = JSONExport.render(report)
            jsonBytes = bytes.count
            let url = URL(fileURLWithPath: jsonPath)
            let tmp = url.deletingLastPathComponent()
                .appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)").path
            guard fm.createFile(atPath: tmp, contents: Data(bytes)) else {
                throw ExportError(path: jsonPath, message: "cannot write the JSON export (does the folder exist and is it writable?)")
            }
            temporaryJSON = tmp
        }
        var runID: Int64?
        if let databasePath {
            let existed = fm.fileExists(atPath: databasePath)
            do {
                let db = try SQLiteDatabase(path: databasePath)
                defer { db.close() }
                runID = try SQLiteExport.append(report, to: db)
            } catch {
                if !existed {
                    for suffix in ["", "-journal", "-wal", "-shm"] { try? fm.removeItem(atPath: databasePath + suffix) }
                }
                throw ExportError(path: databasePath, message: "\(error)")
            }
        }
        if let jsonPath, let tmp = temporaryJSON {
            guard rename(tmp, jsonPath) == 0 else {
                throw ExportError(path: jsonPath, message: "cannot move the JSON export into place (errno \(errno))")
            }
            temporaryJSON = nil
        }
        return Outcome(runID: runID, jsonBytes: jsonBytes)
    }
}

/// An export that could not be completed; nothing was changed.
public struct ExportError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}
