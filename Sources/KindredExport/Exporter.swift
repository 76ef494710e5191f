import Dispatch
import Foundation
import KindredCore

/// Writes both exports so that each either holds the complete run or is left
/// exactly as it was (contract §1, "Nothing is ever half-written").
///
/// Order: (1) the SQLite run is appended in one transaction while the JSON
/// document is rendered in memory on another thread; (2) the JSON is written
/// whole to a temporary file beside the target; (3) that file is renamed over
/// the target, which is atomic on one file system. A failed transaction rolls
/// back (and deletes a database file this run created) before any JSON file is
/// touched; a failure in (2) or (3) removes the temporary file. The one
/// window left: the rename failing after the commit leaves the new run in
/// SQLite and the old JSON in place (each file still whole).
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
        // Render the JSON on a second thread while SQLite writes on this one:
        // the two only read the report.
        let rendered = RenderedJSON()
        let group = DispatchGroup()
        if jsonPath != nil {
            DispatchQueue.global().async(group: group) { rendered.bytes = JSONExport.render(report) }
        }
        var runID: Int64?
        var databaseError: Error?
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
                databaseError = ExportError(path: databasePath, message: "\(error)")
            }
        }
        group.wait()
        if let databaseError { throw databaseError }
        if let jsonPath {
            let bytes = rendered.bytes
            jsonBytes = bytes.count
            let url = URL(fileURLWithPath: jsonPath)
            let tmp = url.deletingLastPathComponent()
                .appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)").path
            guard fm.createFile(atPath: tmp, contents: Data(bytes)) else {
                throw ExportError(path: jsonPath, message: "cannot write the JSON export (does the folder exist and is it writable?)")
            }
            temporaryJSON = tmp
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

/// The JSON bytes produced on the rendering thread; read only after the
/// dispatch group is waited on.
private final class RenderedJSON: @unchecked Sendable {
    var bytes: [UInt8] = []
}
