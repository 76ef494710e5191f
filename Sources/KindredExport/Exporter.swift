import Dispatch
import Foundation
import KindredCore

/// Writes both exports so that each either holds the complete run or is left
/// exactly as it was (contract §1, "Nothing is ever half-written").
///
/// An export runs in two steps, so that the largest part overlaps the
/// decisions: ``begin(_:databasePath:jsonPath:)``, as soon as ranking is done,
/// creates the temporary JSON file beside the target, then opens the SQLite
/// transaction on a background thread and writes the `runs` row and the
/// `matches` rows (explaining their shared tags as it goes) and indexes them;
/// ``Export/finish(_:)``, once the decisions are made, writes
/// the rest of the run on that thread while the calling thread streams the
/// JSON document into a temporary file beside the target (about 1 MiB of it
/// in memory at a time).
///
/// Then: (1) the JSON file is complete and synced before SQLite commits, and a
/// failure of either rolls the transaction back (a database file this export
/// created is deleted) and removes the temporary file; (2) after COMMIT the
/// temporary file is renamed over the target, which is atomic on one file
/// system. The one window left: the rename failing after the commit leaves the
/// new run in SQLite and the old JSON in place (each file still whole).
public enum Exporter {
    public struct Outcome: Sendable {
        public var runID: Int64?
        public var jsonBytes: Int
    }

    /// Both steps at once: `begin(report, …).finish(report)`.
    public static func write(_ report: RunReport, databasePath: String?, jsonPath: String?) throws -> Outcome {
        try begin(report, databasePath: databasePath, jsonPath: jsonPath).finish(report)
    }

    /// Starts the export of a run whose ranking is done. Of `ranking` it
    /// reads the run fields (`finishedAt` is provisional), `dataset`,
    /// `matches` and `sharedTags`; the decisions come with
    /// ``Export/finish(_:)``. Creates the temporary JSON file (throwing
    /// ``ExportError`` if it cannot, with nothing touched), starts the SQLite
    /// thread and returns; SQLite's errors surface in `finish`.
    public static func begin(_ ranking: RunReport, databasePath: String?, jsonPath: String?) throws -> Export {
        try Export(ranking, databasePath: databasePath, jsonPath: jsonPath)
    }

    /// An export under way (see ``Exporter``). Finish it, or drop it: a
    /// dropped export rolls back and leaves both outputs as they were.
    public final class Export {
        private let databasePath: String?
        private let jsonPath: String?
        /// Whether the database file was there before this export.
        private let existed: Bool
        private let matchRows: Int
        /// The temporary JSON file beside the target, until renamed or removed;
        /// its handle until the JSON writer has closed it (never closed twice).
        private var temporaryJSON: (path: String, handle: FileHandle?)?
        /// The SQLite connection's thread: it does the writing of both steps,
        /// in order. The caller touches the connection only after `sync`.
        private let queue = DispatchQueue(label: "kindred.export.sqlite")
        private let database = DatabaseState()
        private var ended = false

        fileprivate init(_ ranking: RunReport, databasePath: String?, jsonPath: String?) throws {
            self.databasePath = databasePath
            self.jsonPath = jsonPath
            matchRows = ranking.matches.entries.count
            existed = databasePath.map { FileManager.default.fileExists(atPath: $0) } ?? false
            if let jsonPath {
                let url = URL(fileURLWithPath: jsonPath)
                let tmp = url.deletingLastPathComponent()
                    .appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)").path
                guard FileManager.default.createFile(atPath: tmp, contents: nil),
                      let handle = FileHandle(forWritingAtPath: tmp) else {
                    ended = true
                    throw ExportError(path: jsonPath, message: "cannot write the JSON export (does the folder exist and is it writable?)")
                }
                temporaryJSON = (tmp, handle)
            }
            guard let databasePath else { return }
            queue.async { [database] in
                do {
                    let db = try SQLiteDatabase(path: databasePath)
                    database.connection = db
                    database.begun = try SQLiteExport.begin(ranking, db)
                } catch {
                    database.error = error
                }
            }
        }

        deinit {
            if !ended { abandon() }
        }

        /// Completes both exports with the whole run, whose ranking fields
        /// must be those given to ``Exporter/begin(_:databasePath:jsonPath:)``.
        /// Throws ``ExportError``; both outputs are then as they were.
        public func finish(_ report: RunReport) throws -> Outcome {
            precondition(!ended, "an export is finished once")
            precondition(report.matches.entries.count == matchRows, "finish with the run that began the export")
            ended = true
            if databasePath != nil {
                queue.async { [database] in
                    guard database.error == nil, let db = database.connection, let begun = database.begun else { return }
                    do { try SQLiteExport.complete(report, begun, db) } catch { database.error = error }
                }
            }
            let json = JSONStream()
            if let handle = temporaryJSON?.handle {
                JSONExport.render(report) { piece in json.write(piece, to: handle) }
                temporaryJSON?.handle = nil
                json.close(handle)
            }
            queue.sync {}
            if let jsonPath, let error = json.error {
                abandon()
                throw ExportError(path: jsonPath, message: "cannot write the JSON export: \(error)")
            }
            var runID: Int64?
            if let databasePath {
                do {
                    if let error = database.error { throw error }
                    try database.connection?.execute("COMMIT")
                    database.committed = true
                    database.connection?.close()
                    runID = database.begun?.runID
                } catch {
                    abandon()
                    throw error as? ExportError ?? ExportError(path: databasePath, message: "\(error)")
                }
            }
            if let jsonPath, let tmp = temporaryJSON?.path {
                guard rename(tmp, jsonPath) == 0 else {
                    let code = errno  // before the clean-up's own calls
                    abandon()
                    throw ExportError(path: jsonPath, message: "cannot move the JSON export into place (errno \(code))")
                }
                temporaryJSON = nil
            }
            return Outcome(runID: runID, jsonBytes: json.written)
        }

        /// Removes the temporary JSON file; unless SQLite has committed, waits
        /// for the SQLite thread, rolls back, closes, and deletes the database
        /// file if this export created it.
        private func abandon() {
            ended = true
            if let (path, handle) = temporaryJSON {
                try? handle?.close()
                try? FileManager.default.removeItem(atPath: path)
                temporaryJSON = nil
            }
            guard let databasePath else { return }
            queue.sync {}
            guard !database.committed else { return }
            if let db = database.connection {
                try? db.execute("ROLLBACK")
                db.close()
            }
            if !existed {
                for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: databasePath + suffix) }
            }
        }
    }
}

/// The SQLite thread's connection and outcome. Used on the export's queue and,
/// once `queue.sync {}` has returned (which orders the accesses), by the caller
/// for COMMIT or ROLLBACK; never by both at once.
private final class DatabaseState: @unchecked Sendable {
    var connection: SQLiteDatabase?
    var begun: SQLiteExport.Begun?
    var error: Error?
    var committed = false
}

/// The JSON writer's file output: bytes written and the first error.
private final class JSONStream {
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

