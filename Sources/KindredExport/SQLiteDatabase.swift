import CSQLite

/// A failed SQLite call, with the library's message and the statement's text
/// (never its bound values, which may be sensitive).
public struct SQLiteError: Error, CustomStringConvertible {
    public var code: Int32
    public var message: String
    public var statement: String?

    public var description: String {
        "SQLite error \(code): \(message)" + (statement.map { " (in: \($0.prefix(80)))" } ?? "")
    }
}

/// SQLite's "copy the bytes now" destructor, which the Swift importer cannot
/// express: the C macro is `((sqlite3_destructor_type)-1)`.
private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
/// "The bytes stay valid until the statement is done with them": `((sqlite3_destructor_type)0)`.
private let SQLITE_STATIC: sqlite3_destructor_type? = nil

/// The one place the export touches the SQLite C API. Every return code is
/// checked here and turned into ``SQLiteError``.
final class SQLiteDatabase {
    private var handle: OpaquePointer?

    init(path: String) throws {
        // NOMUTEX: a connection is only ever used by one thread at a time, so
        // SQLite's per-call connection mutex (several per row) is pure cost.
        let rc = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(handle)
            handle = nil
            throw SQLiteError(code: rc, message: message, statement: nil)
        }
        sqlite3_busy_timeout(handle, 5000)
    }

    deinit { close() }

    func close() {
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    private func error(_ code: Int32, _ sql: String?) -> SQLiteError {
        SQLiteError(code: code, message: handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed", statement: sql)
    }

    /// Runs one or more statements without results.
    func execute(_ sql: String) throws {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc, sql) }
    }

    /// Prepares a statement for repeated bind/step/reset.
    func prepare(_ sql: String) throws -> Statement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc, sql) }
        return Statement(stmt: stmt, database: self, sql: sql)
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// A prepared statement; values are bound by 1-based position.
    final class Statement {
        private let stmt: OpaquePointer
        private unowned let database: SQLiteDatabase
        private let sql: String

        fileprivate init(stmt: OpaquePointer, database: SQLiteDatabase, sql: String) {
            self.stmt = stmt
            self.database = database
            self.sql = sql
        }

        deinit { sqlite3_finalize(stmt) }

        private func check(_ rc: Int32) throws {
            guard rc == SQLITE_OK else { throw database.error(rc, sql) }
        }

        func bind(_ i: Int32, _ value: Int) throws { try check(sqlite3_bind_int64(stmt, i, Int64(value))) }
        func bind(_ i: Int32, _ value: Int64) throws { try check(sqlite3_bind_int64(stmt, i, value)) }
        func bind(_ i: Int32, _ value: Double) throws { try check(sqlite3_bind_double(stmt, i, value)) }
        /// Binds UTF-8 bytes as text (copied by SQLite).
        func bind(_ i: Int32, bytes: [UInt8]) throws {
            guard !bytes.isEmpty else { return try check(sqlite3_bind_text(stmt, i, "", 0, SQLITE_TRANSIENT)) }
            try bytes.withUnsafeBufferPointer { b in
                try check(sqlite3_bind_text(stmt, i, UnsafeRawPointer(b.baseAddress!).assumingMemoryBound(to: CChar.self),
                                            Int32(b.count), SQLITE_TRANSIENT))
            }
        }

        /// Binds bytes as text without copying them: SQLite reads them when
        /// the statement is stepped. The caller keeps them alive and unchanged
        /// until then (a ``TextTable`` entry, or a buffer it holds across the
        /// step), and rebinds before every step.
        func bindText(_ i: Int32, _ bytes: UnsafeRawBufferPointer) throws {
            // A nil pointer would bind NULL, not empty text.
            guard let base = bytes.baseAddress else { return try check(sqlite3_bind_text(stmt, i, "", 0, SQLITE_TRANSIENT)) }
            try check(sqlite3_bind_text(stmt, i, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count), SQLITE_STATIC))
        }

        func bindNull(_ i: Int32) throws { try check(sqlite3_bind_null(stmt, i)) }

        func bind(_ i: Int32, _ value: String?) throws {
            guard let value else { return try check(sqlite3_bind_null(stmt, i)) }
            try check(sqlite3_bind_text(stmt, i, value, -1, SQLITE_TRANSIENT))
        }

        /// Executes an insert-like statement and resets it for the next row.
        func run() throws {
            let rc = sqlite3_step(stmt)
            guard rc == SQLITE_DONE else {
                sqlite3_reset(stmt)
                throw database.error(rc, sql)
            }
            try check(sqlite3_reset(stmt))
        }

        /// Steps a query; returns false when there are no more rows.
        func step() throws -> Bool {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_ROW { return true }
            if rc == SQLITE_DONE { return false }
            throw database.error(rc, sql)
        }

        func int(_ column: Int32) -> Int64 { sqlite3_column_int64(stmt, column) }
        func double(_ column: Int32) -> Double { sqlite3_column_double(stmt, column) }
        /// The column as text (nil for NULL).
        func text(_ column: Int32) -> String? {
            guard let p = sqlite3_column_text(stmt, column) else { return nil }
            return String(cString: p)
        }
    }
}
