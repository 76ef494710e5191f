import Dispatch
import Foundation
import KindredCore

/// Writes both exports so that each either holds the complete run or is left
/// exactly as it was (contract §1, "Nothing is ever half-written").
///
/// Order: (1) the SQLite run is written inside one transaction while another
/// thread explains the `matches` rows' shared tags (just ahead of the SQLite
/// writer, which reads them as they come) and then streams the JSON document
/// into a temporary file beside the target (about 1 MiB of it in memory at a
/// time); (2) before COMMIT the
/// exporter waits for the JSON file to be complete and synced, and rolls the
/// transaction back if it is not; (3) after COMMIT the temporary file is
/// renamed over the target, which is atomic on one file system. A failure in
/// (1) or (2) leaves both outputs as they were (a database file this run
/// created is deleted) and removes the temporary file. The one window left:
/// the rename failing after the commit leaves the new run in SQLite and the
/// old JSON in place (each file still whole).
public enum Exporter {
    public struct Outcome: Sendable {
        public var runID: Int64?
        public var jsonBytes: Int
    }

    public static func write(_ report: RunReport, databasePath: String?, jsonPath: String?) throws -> Outcome {
        let fm = FileManager.default
        // A second thread explains the shared tags of the `matches` rows
        // ahead of the SQLite writer on this thread, then streams the JSON to a
        // temporary file beside the target. Two busy threads, not more: the
        // SQLite writer is the longer path, and a third thread would only take
        // cycles from it on a 2-core machine.
        var temporaryJSON: String?
        defer { if let t = temporaryJSON { try? fm.removeItem(atPath: t) } }
        let json = JSONStream()
        let group = DispatchGroup()
        var handle: FileHandle?
        if let jsonPath {
            let url = URL(fileURLWithPath: jsonPath)
            let tmp = url.deletingLastPathComponent()
                .appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)").path
            guard fm.createFile(atPath: tmp, contents: nil), let h = FileHandle(forWritingAtPath: tmp) else {
                throw ExportError(path: jsonPath, message: "cannot write the JSON export (does the folder exist and is it writable?)")
            }
            temporaryJSON = tmp
            handle = h
        }
        DispatchQueue.global().async(group: group) { [handle] in
            report.sharedTags.explainAll()
            guard let handle else { return }
            JSONExport.render(report) { piece in json.write(piece, to: handle) }
            json.close(handle)
        }
        // The JSON file must be complete and synced before SQLite commits, so a
        // failure of either leaves both outputs as they were.
        func jsonDone() throws {
            group.wait()
            if let jsonPath, let error = json.error {
                throw ExportError(path: jsonPath, message: "cannot write the JSON export: \(error)")
            }
        }
        var runID: Int64?
        if let databasePath {
            let existed = fm.fileExists(atPath: databasePath)
            do {
                let db = try SQLiteDatabase(path: databasePath)
                defer { db.close() }
                runID = try SQLiteExport.append(report, to: db, beforeCommit: jsonDone)
            } catch {
                group.wait()
                if !existed {
                    for suffix in ["", "-journal", "-wal", "-shm"] { try? fm.removeItem(atPath: databasePath + suffix) }
                }
                throw error as? ExportError ?? ExportError(path: databasePath, message: "\(error)")
            }
        }
        try jsonDone()
        if let jsonPath, let tmp = temporaryJSON {
            guard rename(tmp, jsonPath) == 0 else {
                throw ExportError(path: jsonPath, message: "cannot move the JSON export into place (errno \(errno))")
            }
            temporaryJSON = nil
        }
        return Outcome(runID: runID, jsonBytes: json.written)
    }
}

/// The JSON writer thread's file output: bytes written and the first error.
private final class JSONStream: @unchecked Sendable {
    var written = 0
    var error: Error?

    func write(_ piece: ArraySlice<UInt8>, to handle: FileHandle) {
        guard error == nil else { return }
        do {
            try handle.write(contentsOf: piece)
            written += piece.count
        } catch {
            self.error = error
        }
    }

    func close(_ handle: FileHandle) {
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            if self.error == nil { self.error = error }
        }
    }
}

/// An export that could not be completed; nothing was changed.
public struct ExportError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}

