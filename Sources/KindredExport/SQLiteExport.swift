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

    /// Indexes an analyst needs. Created after the rows inside the same
    /// transaction: on a new database SQLite then builds them by sorting,
    /// several times faster than updating them row by row.
    static let indexes = """
        CREATE INDEX IF NOT EXISTS matches_profile ON matches (run_id, profile_id, rank);
        CREATE INDEX IF NOT EXISTS matches_candidate ON matches (run_id, candidate_id);
        CREATE INDEX IF NOT EXISTS assignments_profile ON assignments (run_id, profile_id);
        CREATE INDEX IF NOT EXISTS assignments_partner ON assignments (run_id, partner_id);
        CREATE INDEX IF NOT EXISTS group_members_profile ON group_members (run_id, profile_id);
        CREATE INDEX IF NOT EXISTS unmatched_profile ON unmatched (run_id, profile_id);
        """

    /// Appends one run inside one transaction; returns the new `run_id`.
    /// `beforeCommit` runs last inside the transaction (the exporter waits for
    /// the JSON file there); on any error, its own included, the transaction
    /// is rolled back and the error rethrown.
    static func append(_ r: RunReport, to db: SQLiteDatabase, beforeCommit: () throws -> Void = {}) throws -> Int64 {
        try db.execute("PRAGMA foreign_keys = OFF; PRAGMA cache_size = -262144;")
        try db.execute("BEGIN IMMEDIATE")
        do {
            let runID = try write(r, db)
            try beforeCommit()
            try db.execute("COMMIT")
            return runID
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    /// Rows per multi-row INSERT for `matches`: one statement step per batch
    /// instead of per row roughly halves SQLite's per-row overhead.
    static let matchBatch = 64

    /// The `matches` rows, in profile then rank order.
    private static func writeMatches(_ r: RunReport, runID: Int64, _ db: SQLiteDatabase) throws {
        let tagNames = r.dataset.tagNames
        let row = "(?, ?, ?, ?, ?, ?)"
        let sql = "INSERT INTO matches (run_id, profile_id, rank, candidate_id, score, shared_tags) VALUES "
        let batch = try db.prepare(sql + Array(repeating: row, count: matchBatch).joined(separator: ", "))
        let single = try db.prepare(sql + row)
        var pending = 0
        var text = JSONText()
        func bind(_ s: SQLiteDatabase.Statement, _ slot: Int, profile: Int, rank: Int, entry: Int) throws {
            let c = r.matches.entries[entry]
            let base = Int32(slot * 6)
            text.bytes.removeAll(keepingCapacity: true)
            text.stringArray(r.sharedTags.of(entry).map { tagNames[Int($0)] })
            try s.bind(base + 1, runID)
            try s.bind(base + 2, r.dataset.profiles[profile].id)
            try s.bind(base + 3, rank + 1)
            try s.bind(base + 4, r.id(c.index))
            try s.bind(base + 5, c.score.value)
            try s.bind(base + 6, bytes: text.bytes)
        }
        var tail: [(profile: Int, rank: Int, entry: Int)] = []
        for i in 0 ..< r.matches.profileCount {
            let start = r.matches.offsets[i]
            for e in start ..< r.matches.offsets[i + 1] {
                try bind(batch, pending, profile: i, rank: e - start, entry: e)
                pending += 1
                tail.append((i, e - start, e))
                if pending == matchBatch {
                    try batch.run()
                    pending = 0
                    tail.removeAll(keepingCapacity: true)
                }
            }
        }
        // The last partial batch, one row at a time.
        for t in tail {
            try bind(single, 0, profile: t.profile, rank: t.rank, entry: t.entry)
            try single.run()
        }
    }

    private static func write(_ r: RunReport, _ db: SQLiteDatabase) throws -> Int64 {
        try db.execute(schema)
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
        let runID = db.lastInsertRowID

        let metric = try db.prepare("INSERT INTO run_metrics (run_id, name, value) VALUES (?, ?, ?)")
        for m in r.metrics {
            try metric.bind(1, runID); try metric.bind(2, m.name)
            if m.value.isFinite { try metric.bind(3, m.value) } else { try metric.bind(3, nil as String?) }
            try metric.run()
        }

        try writeMatches(r, runID: runID, db)

        let assignment = try db.prepare(
            "INSERT INTO assignments (run_id, kind, profile_id, partner_id, score) VALUES (?, ?, ?, ?, ?)")
        for a in r.assignments {
            try assignment.bind(1, runID)
            try assignment.bind(2, a.kind.rawValue)
            try assignment.bind(3, r.id(a.profile))
            try assignment.bind(4, r.id(a.partner))
            try assignment.bind(5, a.score.value)
            try assignment.run()
        }

        let group = try db.prepare(
            "INSERT INTO groups (run_id, group_id, kind, language, size, cohesion, theme) VALUES (?, ?, ?, ?, ?, ?, ?)")
        let member = try db.prepare("INSERT INTO group_members (run_id, group_id, profile_id, fit) VALUES (?, ?, ?, ?)")
        for g in r.groups {
            var theme = JSONText()
            theme.stringArray(g.theme)
            try group.bind(1, runID)
            try group.bind(2, g.id)
            try group.bind(3, g.kind.rawValue)
            try group.bind(4, g.language)
            try group.bind(5, g.members.count)
            try group.bind(6, g.cohesion.value)
            try group.bind(7, String(decoding: theme.bytes, as: UTF8.self))
            try group.run()
            for (m, fit) in zip(g.members, g.fit) {
                try member.bind(1, runID)
                try member.bind(2, g.id)
                try member.bind(3, r.id(m))
                try member.bind(4, fit.value)
                try member.run()
            }
        }

        let unmatched = try db.prepare("INSERT INTO unmatched (run_id, profile_id, stage, reason) VALUES (?, ?, ?, ?)")
        for u in r.unmatched {
            try unmatched.bind(1, runID)
            try unmatched.bind(2, r.id(u.profile))
            try unmatched.bind(3, u.stage.rawValue)
            try unmatched.bind(4, u.reason)
            try unmatched.run()
        }

        let reject = try db.prepare("INSERT INTO rejects (run_id, file, line, \"column\", reason) VALUES (?, ?, ?, ?, ?)")
        for x in r.dataset.rejects {
            try reject.bind(1, runID)
            try reject.bind(2, x.file)
            try reject.bind(3, x.line)
            try reject.bind(4, x.column)
            try reject.bind(5, x.reason)
            try reject.run()
        }
        let incumbent = try db.prepare("""
            INSERT INTO incumbency (run_id, kind, profile_id, partner_id, group_label, group_id, kept, reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for o in r.incumbency {
            try incumbent.bind(1, runID)
            try incumbent.bind(2, o.kind.rawValue)
            try incumbent.bind(3, r.id(o.profile))
            try incumbent.bind(4, o.partner.map { r.id($0) })
            try incumbent.bind(5, o.groupLabel)
            if let g = o.groupID { try incumbent.bind(6, g) } else { try incumbent.bind(6, nil as String?) }
            try incumbent.bind(7, o.kept ? 1 : 0)
            try incumbent.bind(8, o.reason)
            try incumbent.run()
        }
        try db.execute(indexes)
        return runID
    }
}
