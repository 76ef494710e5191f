import KindredCore

/// The SQLite export of contract §6: each run appends to the database in one
/// transaction, so the file holds complete runs only.
public enum SQLiteExport {
    static let schema = """
        CREATE TABLE IF NOT EXISTS runs (
            run_id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT NOT NULL,
            status TEXT NOT NULL, engine_version TEXT NOT NULL, config TEXT NOT NULL,
            input_sha256 TEXT NOT NULL, profiles INTEGER NOT NULL, rejected_rows INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS run_metrics (
            run_id INTEGER NOT NULL, name TEXT NOT NULL, value REAL, PRIMARY KEY (run_id, name));
        CREATE TABLE IF NOT EXISTS matches (
            run_id INTEGER NOT NULL, profile_id TEXT NOT NULL, rank INTEGER NOT NULL,
            candidate_id TEXT NOT NULL, score REAL NOT NULL, shared_tags TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS assignments (
            run_id INTEGER NOT NULL, kind TEXT NOT NULL, profile_id TEXT NOT NULL,
            partner_id TEXT NOT NULL, score REAL NOT NULL);
        CREATE TABLE IF NOT EXISTS groups (
            run_id INTEGER NOT NULL, group_id INTEGER NOT NULL, kind TEXT NOT NULL, language TEXT NOT NULL,
            size INTEGER NOT NULL, cohesion REAL NOT NULL, theme TEXT NOT NULL, PRIMARY KEY (run_id, group_id));
        CREATE TABLE IF NOT EXISTS group_members (
            run_id INTEGER NOT NULL, group_id INTEGER NOT NULL, profile_id TEXT NOT NULL, fit REAL NOT NULL);
        CREATE TABLE IF NOT EXISTS unmatched (
            run_id INTEGER NOT NULL, profile_id TEXT NOT NULL, stage TEXT NOT NULL, reason TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS incumbency (
            run_id INTEGER NOT NULL, kind TEXT NOT NULL, profile_id TEXT NOT NULL, partner_id TEXT,
            group_label TEXT, group_id INTEGER, kept INTEGER NOT NULL, reason TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS rejects (
            run_id INTEGER NOT NULL, file TEXT NOT NULL, line INTEGER NOT NULL, "column" TEXT, reason TEXT NOT NULL);
        """

    /// Page cache while rows are written: the whole run's pages (~60 MiB at
    /// 50k people) stay in memory until COMMIT. Negative means KiB.
    static let pageCacheKiB = -262144
    /// Page size of a new database file (an existing file keeps its own).
    /// With 16 KiB pages instead of SQLite's default 4 KiB, writing the 50k
    /// run's `matches` rows measured 0.25–0.40 s against 0.42 s in the
    /// `sqlite3` shell (fewer, fuller B-tree pages to split and link), and the
    /// index builds were unchanged (0.42–0.47 s against 0.47–0.48 s).
    static let pageSize = 16384
    /// Page cache while the indexes are built (SQLite's default size).
    static let sortCacheKiB = -2000

    /// The index whose key order is the order `matches` rows are inserted in
    /// (run, profile id in byte order, rank), made before the rows: SQLite
    /// then only appends to its right edge, cheaper than sorting afterwards.
    static let indexBeforeRows = """
        CREATE INDEX IF NOT EXISTS matches_profile ON matches (run_id, profile_id, rank);
        """

    /// The other indexes an analyst needs (this one and ``indexes``). Created
    /// after the rows inside the same transaction: on a new database SQLite
    /// then builds them by sorting, several times faster than updating them
    /// row by row in random key order.
    ///
    /// `matches_candidate` leads with the candidate: its sort then compares
    /// the distinct text first (SQLite's sorter has a fast path for a leading
    /// text column; 0.60 s → 0.42 s at 50,000 people), and it serves "who
    /// ranked X" in one run and across runs alike. A database made before
    /// keeps its `(run_id, candidate_id)` index of the same name, which
    /// answers the same queries.
    static let matchesIndexes = """
        CREATE INDEX IF NOT EXISTS matches_candidate ON matches (candidate_id, run_id);
        """

    /// The indexes of the decision tables, made after their rows (see
    /// ``matchesIndexes``).
    static let indexes = """
        CREATE INDEX IF NOT EXISTS assignments_profile ON assignments (run_id, profile_id);
        CREATE INDEX IF NOT EXISTS assignments_partner ON assignments (run_id, partner_id);
        CREATE INDEX IF NOT EXISTS group_members_profile ON group_members (run_id, profile_id);
        CREATE INDEX IF NOT EXISTS unmatched_profile ON unmatched (run_id, profile_id);
        """

    /// A run after ``begin(_:_:)``: its `run_id`, and the profile ids encoded
    /// once for both steps.
    struct Begun {
        let runID: Int64
        let ids: TextTable
    }

    /// Opens the run's transaction and writes what ranking produced: the
    /// `runs` row (its `finished_at` provisional until ``complete(_:_:_:)``),
    /// the `matches` rows and their indexes. Reads only the run fields,
    /// `dataset`, `matches` and `sharedTags` of `r`.
    ///
    /// The caller ends the transaction: ``complete(_:_:_:)`` then COMMIT,
    /// or ROLLBACK on any error.
    static func begin(_ r: RunReport, _ db: SQLiteDatabase) throws -> Begun {
        // No journal_mode or synchronous pragma: SQLite's defaults (rollback
        // journal, full sync) are what the all-or-nothing guarantee rests on.
        try db.execute("PRAGMA foreign_keys = OFF; PRAGMA page_size = \(pageSize); PRAGMA cache_size = \(pageCacheKiB);")
        try db.execute("BEGIN IMMEDIATE")
        try db.execute(schema)
        let runID = try writeRun(r, db)
        let ids = TextTable.plain(r.dataset.profiles.map(\.id))
        let tags = TextTable.jsonQuoted(r.dataset.tagNames)
        // SQLite reads a bound id when the statement steps, after the bind
        // call that was the table's last use in Swift's eyes.
        try withExtendedLifetime((ids, tags)) {
            try db.execute(indexBeforeRows)
            try writeMatches(r, runID: runID, ids: ids, tags: tags, db)
        }
        // SQLite's sorter cuts its input into runs of about the page cache's
        // size: runs of 2 MiB sort in the CPU cache and merge, faster than one
        // 256 MiB run (~10% of the export at 50k). Dirty pages beyond 2 MiB
        // may spill to the file meanwhile, which the journal covers as usual.
        // One helper thread sorts alongside (`matches_candidate` 0.42 s →
        // 0.37 s at 50k when the other core was otherwise idle).
        try db.execute("PRAGMA cache_size = \(sortCacheKiB); PRAGMA threads = 1;")
        try db.execute(matchesIndexes)
        try db.execute("PRAGMA cache_size = \(pageCacheKiB); PRAGMA threads = 0;")
        return Begun(runID: runID, ids: ids)
    }

    /// Writes the rest of the run begun by ``begin(_:_:)``, inside the same
    /// transaction: the final `finished_at`, the metrics, the decisions, the
    /// rejects and their indexes. Does not commit.
    static func complete(_ r: RunReport, _ begun: Begun, _ db: SQLiteDatabase) throws {
        let runID = begun.runID, ids = begun.ids
        let finished = try db.prepare("UPDATE runs SET finished_at = ? WHERE run_id = ?")
        try finished.bind(1, r.finishedAt)
        try finished.bind(2, runID)
        try finished.run()
        try writeMetrics(r, runID: runID, db)
        try withExtendedLifetime(ids) {
            try writeAssignments(r, runID: runID, ids: ids, db)
            try writeGroups(r, runID: runID, ids: ids, db)
            try writeUnmatched(r, runID: runID, ids: ids, db)
            try writeRejects(r, runID: runID, db)
            try writeIncumbency(r, runID: runID, ids: ids, db)
        }
        try db.execute(indexes)
    }

    /// The `runs` row; returns the new `run_id`.
    private static func writeRun(_ r: RunReport, _ db: SQLiteDatabase) throws -> Int64 {
        let run = try db.prepare("""
            INSERT INTO runs (started_at, finished_at, status, engine_version, config, input_sha256, profiles, rejected_rows)
            VALUES (?, ?, 'complete', ?, ?, ?, ?, ?)
            """)
        try run.bind(1, r.startedAt)
        try run.bind(2, r.finishedAt)
        try run.bind(3, r.engineVersion)
        try run.bind(4, r.configJSON)
        try run.bind(5, r.inputSHA256)
        try run.bind(6, r.profileCount)
        try run.bind(7, r.rejectedRows)
        try run.run()
        return db.lastInsertRowID
    }

    /// The run's metrics (`run_metrics`).
    private static func writeMetrics(_ r: RunReport, runID: Int64, _ db: SQLiteDatabase) throws {
        let metric = try db.prepare("INSERT INTO run_metrics (run_id, name, value) VALUES (?, ?, ?)")
        for m in r.metrics {
            try metric.bind(1, runID); try metric.bind(2, m.name)
            if m.value.isFinite { try metric.bind(3, m.value) } else { try metric.bindNull(3) }
            try metric.run()
        }
    }

    /// Rows per multi-row INSERT, for every table written in batches.
    static let rowsPerInsert = 64

    /// The `matches` rows, in profile then rank order.
    ///
    /// Per row this binds bytes, not Strings: both ids point into `ids`, and
    /// the `shared_tags` arrays of a batch are rendered from the pre-quoted
    /// tag names into one buffer that is held across the step.
    /// - Complexity: O(rows + text bytes).
    private static func writeMatches(_ r: RunReport, runID: Int64, ids: TextTable, tags: TextTable,
                                     _ db: SQLiteDatabase) throws {
        let insert = try SQLiteDatabase.BatchedInsert(
            db, table: "matches", columns: ["run_id", "profile_id", "rank", "candidate_id", "score", "shared_tags"],
            rowsPerBatch: rowsPerInsert)
        try insert.bindEveryRow(column: 0, runID)
        let matches = r.matches
        var shared = SharedTags.Reader(r.sharedTags)
        var profile = 0
        var text: [UInt8] = [], ends: [Int] = []
        text.reserveCapacity(1 << 14)
        try insert.insert(count: matches.entries.count) { statement, rows in
            text.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            for e in rows {
                JSONText.appendArray(shared.of(e), of: tags, to: &text)
                ends.append(text.count)
            }
            try text.withUnsafeBytes { text in
                var from = 0
                for (slot, e) in rows.enumerated() {
                    while matches.offsets[profile + 1] <= e { profile += 1 }
                    let c = matches.entries[e]
                    try statement.bindText(insert.parameter(slot: slot, column: 1), ids[profile])
                    try statement.bind(insert.parameter(slot: slot, column: 2), e - matches.offsets[profile] + 1)
                    try statement.bindText(insert.parameter(slot: slot, column: 3), ids[Int(c.index)])
                    try statement.bind(insert.parameter(slot: slot, column: 4), c.score.value)
                    try statement.bindText(insert.parameter(slot: slot, column: 5),
                                           UnsafeRawBufferPointer(rebasing: text[from ..< ends[slot]]))
                    from = ends[slot]
                }
                // Inside the closure: the shared tags text is bound in place.
                try statement.run()
            }
        }
    }

    private static func writeAssignments(_ r: RunReport, runID: Int64, ids: TextTable, _ db: SQLiteDatabase) throws {
        let insert = try SQLiteDatabase.BatchedInsert(
            db, table: "assignments", columns: ["run_id", "kind", "profile_id", "partner_id", "score"],
            rowsPerBatch: rowsPerInsert)
        try insert.bindEveryRow(column: 0, runID)
        try insert.insert(count: r.assignments.count) { statement, rows in
            for (slot, i) in rows.enumerated() {
                let a = r.assignments[i]
                try statement.bind(insert.parameter(slot: slot, column: 1), a.kind.rawValue)
                try statement.bindText(insert.parameter(slot: slot, column: 2), ids[Int(a.profile)])
                try statement.bindText(insert.parameter(slot: slot, column: 3), ids[Int(a.partner)])
                try statement.bind(insert.parameter(slot: slot, column: 4), a.score.value)
            }
            try statement.run()
        }
    }

    /// `groups`, then `group_members` (groups in order, members in order).
    private static func writeGroups(_ r: RunReport, runID: Int64, ids: TextTable, _ db: SQLiteDatabase) throws {
        let group = try SQLiteDatabase.BatchedInsert(
            db, table: "groups", columns: ["run_id", "group_id", "kind", "language", "size", "cohesion", "theme"],
            rowsPerBatch: rowsPerInsert)
        try group.bindEveryRow(column: 0, runID)
        try group.insert(count: r.groups.count) { statement, rows in
            for (slot, i) in rows.enumerated() {
                let g = r.groups[i]
                var theme = JSONText()
                theme.stringArray(g.theme)
                try statement.bind(group.parameter(slot: slot, column: 1), g.id)
                try statement.bind(group.parameter(slot: slot, column: 2), g.kind.rawValue)
                try statement.bind(group.parameter(slot: slot, column: 3), g.language)
                try statement.bind(group.parameter(slot: slot, column: 4), g.members.count)
                try statement.bind(group.parameter(slot: slot, column: 5), g.cohesion.value)
                try statement.bind(group.parameter(slot: slot, column: 6), bytes: theme.bytes)
            }
            try statement.run()
        }

        var members: [(group: Int, member: Int32, fit: Score)] = []
        for g in r.groups { for (m, fit) in zip(g.members, g.fit) { members.append((g.id, m, fit)) } }
        let member = try SQLiteDatabase.BatchedInsert(
            db, table: "group_members", columns: ["run_id", "group_id", "profile_id", "fit"],
            rowsPerBatch: rowsPerInsert)
        try member.bindEveryRow(column: 0, runID)
        try member.insert(count: members.count) { statement, rows in
            for (slot, i) in rows.enumerated() {
                let m = members[i]
                try statement.bind(member.parameter(slot: slot, column: 1), m.group)
                try statement.bindText(member.parameter(slot: slot, column: 2), ids[Int(m.member)])
                try statement.bind(member.parameter(slot: slot, column: 3), m.fit.value)
            }
            try statement.run()
        }
    }

    private static func writeUnmatched(_ r: RunReport, runID: Int64, ids: TextTable, _ db: SQLiteDatabase) throws {
        let insert = try SQLiteDatabase.BatchedInsert(
            db, table: "unmatched", columns: ["run_id", "profile_id", "stage", "reason"],
            rowsPerBatch: rowsPerInsert)
        try insert.bindEveryRow(column: 0, runID)
        try insert.insert(count: r.unmatched.count) { statement, rows in
            for (slot, i) in rows.enumerated() {
                let u = r.unmatched[i]
                try statement.bindText(insert.parameter(slot: slot, column: 1), ids[Int(u.profile)])
                try statement.bind(insert.parameter(slot: slot, column: 2), u.stage.rawValue)
                try statement.bind(insert.parameter(slot: slot, column: 3), u.reason)
            }
            try statement.run()
        }
    }

    private static func writeRejects(_ r: RunReport, runID: Int64, _ db: SQLiteDatabase) throws {
        let reject = try db.prepare("INSERT INTO rejects (run_id, file, line, \"column\", reason) VALUES (?, ?, ?, ?, ?)")
        for x in r.dataset.rejects {
            try reject.bind(1, runID)
            try reject.bind(2, x.file)
            try reject.bind(3, x.line)
            try reject.bind(4, x.column)
            try reject.bind(5, x.reason)
            try reject.run()
        }
    }

    private static func writeIncumbency(_ r: RunReport, runID: Int64, ids: TextTable, _ db: SQLiteDatabase) throws {
        let incumbent = try db.prepare("""
            INSERT INTO incumbency (run_id, kind, profile_id, partner_id, group_label, group_id, kept, reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for o in r.incumbency {
            try incumbent.bind(1, runID)
            try incumbent.bind(2, o.kind.rawValue)
            try incumbent.bindText(3, ids[Int(o.profile)])
            if let p = o.partner { try incumbent.bindText(4, ids[Int(p)]) } else { try incumbent.bindNull(4) }
            try incumbent.bind(5, o.groupLabel)
            if let g = o.groupID { try incumbent.bind(6, g) } else { try incumbent.bindNull(6) }
            try incumbent.bind(7, o.kept ? 1 : 0)
            try incumbent.bind(8, o.reason)
            try incumbent.run()
        }
    }
}
