extension SQLiteDatabase {
    /// Inserts many rows into one table through a multi-row `INSERT … VALUES
    /// (…), (…), …` of `rowsPerBatch` rows, and a one-row statement for the
    /// tail. One statement step per batch instead of per row roughly halves
    /// SQLite's per-row overhead (`OP_Halt`/reset and statement setup).
    ///
    /// Rows keep their order, so each table's rowids are as if inserted one by
    /// one.
    final class BatchedInsert {
        let columns: Int
        let rowsPerBatch: Int
        private let batch: Statement
        private let single: Statement

        init(_ db: SQLiteDatabase, table: String, columns: [String], rowsPerBatch: Int) throws {
            precondition(rowsPerBatch >= 1 && !columns.isEmpty)
            self.columns = columns.count
            self.rowsPerBatch = rowsPerBatch
            let row = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
            // OR FAIL, not the default OR ABORT: a multi-row statement that
            // may abort needs a statement journal, a copy of every existing
            // page it touches, so that it can undo itself alone. Appending to
            // a database that already holds runs touches an existing index
            // page for almost every row (1.2 million journal writes at 50k
            // people). The caller rolls back the whole transaction on any
            // error, so the statement never needs to undo itself.
            let sql = "INSERT OR FAIL INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
            batch = try db.prepare(sql + Array(repeating: row, count: rowsPerBatch).joined(separator: ", "))
            single = try db.prepare(sql + row)
        }

        /// Binds `value` to column `column` (0-based) of every row slot, once:
        /// bindings survive `sqlite3_reset`, so a column that is the same on
        /// every row (`run_id`) is never bound again.
        func bindEveryRow(column: Int, _ value: Int64) throws {
            for slot in 0 ..< rowsPerBatch { try batch.bind(parameter(slot: slot, column: column), value) }
            try single.bind(parameter(slot: 0, column: column), value)
        }

        /// Inserts rows `0 ..< count` in order. `write(statement, rows)` binds
        /// row `rows.lowerBound + k` at ``parameter(slot:column:)`` with
        /// `slot` k, then calls `statement.run()` itself (so bytes bound
        /// without copying can live until the step).
        /// - Complexity: O(count) statement work, one step per batch.
        func insert(count: Int, _ write: (_ statement: Statement, _ rows: Range<Int>) throws -> Void) throws {
            var start = 0
            while start < count {
                let full = count - start >= rowsPerBatch
                let rows = start ..< start + (full ? rowsPerBatch : 1)
                try write(full ? batch : single, rows)
                start = rows.upperBound
            }
        }

        /// The 1-based parameter index of `column` in row slot `slot`.
        @inline(__always) func parameter(slot: Int, column: Int) -> Int32 { Int32(slot * columns + column + 1) }
    }
}
