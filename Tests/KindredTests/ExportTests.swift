import Foundation
import Testing
import KindredCore
@testable import KindredExport

/// The SQLite and JSON writers (contract §6 and §7).
@Suite struct ExportTests {
    /// A small report with every kind of row.
    static func report(started: String = "2026-01-01T00:00:00.000Z") -> RunReport {
        let profiles = [
            Profile(id: "a", role: .seeker, languages: ["en"]), Profile(id: "b", role: .supporter, languages: ["en"]),
            Profile(id: "c\"q", role: .peer, languages: ["en"]), Profile(id: "d", role: .peer, languages: ["en"]),
        ]
        let d = Dataset(profiles: profiles, tags: Array(repeating: [], count: 4), tagNames: ["grief", "loss"],
                        exclusions: [], rejects: [Reject(file: "tags.csv", line: 7, column: nil, reason: "expected 3 fields, found 4")])
        let m = RankedMatches(lists: [[Candidate(index: 1, score: Score(0.5))], [Candidate(index: 0, score: Score(0.5))],
                                      [Candidate(index: 3, score: Score(0.25))], [Candidate(index: 2, score: Score(0.25))]])
        return RunReport(
            startedAt: started, finishedAt: started, engineVersion: "test", configJSON: ConfigJSON.render(KindredConfig()),
            inputSHA256: String(repeating: "0", count: 64), dataset: d, matches: m,
            sharedTags: SharedTags(rows: m.entries.count) { _ in [1, 0] },
            assignments: [Assignment(kind: .support, profile: 0, partner: 1, score: Score(0.5))],
            groups: [SupportGroup(id: 1, kind: .peer, language: "en", members: [2, 3], cohesion: Score(0.25), theme: ["grief"],
                                  fit: [Score(0.25), Score(0.25)])],
            unmatched: [Unmatched(profile: 0, stage: .group, reason: "only 0 compatible seekers found")],
            metrics: [("seekers_assigned", 1), ("support_score_min", 0.5), ("group_cohesion_min", .nan)])
    }

    /// Keys of every JSON object in document order, found by a small scanner.
    static func objectKeyLists(_ bytes: [UInt8]) -> [[String]] {
        let text = String(decoding: bytes, as: UTF8.self)
        var stack: [[String]] = [], done: [[String]] = []
        var inString = false, escaped = false, current = "", lastString = ""
        for ch in text {
            if inString {
                if escaped { escaped = false; current.append(ch) } else if ch == "\\" { escaped = true } else if ch == "\"" {
                    inString = false; lastString = current
                } else { current.append(ch) }
                continue
            }
            switch ch {
            case "\"": inString = true; current = ""
            case "{": stack.append([])
            case "}": done.append(stack.removeLast())
            case ":": stack[stack.count - 1].append(lastString)
            default: break
            }
        }
        return done
    }

    @Test func jsonParsesAndEveryObjectHasSortedKeys() throws {
        let bytes = JSONExport.render(Self.report())
        let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
        #expect(object?["schema_version"] as? Int == 1)
        let keyLists = Self.objectKeyLists(bytes)
        #expect(keyLists.count > 5)
        for keys in keyLists { #expect(keys == keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }, "\(keys)") }
        let matches = object?["matches"] as? [[String: Any]]
        #expect(matches?.count == 4)
        let first = (matches?[0]["candidates"] as? [[String: Any]])?.first
        #expect(first?["shared_tags"] as? [String] == ["loss", "grief"])
        #expect(first?["score"] as? Double == 0.5)
        let run = object?["run"] as? [String: Any]
        #expect(run?["rejected_rows"] as? Int == 1)
        #expect((run?["metrics"] as? [String: Any])?["group_cohesion_min"] is NSNull)
        #expect((object?["rejects"] as? [[String: Any]])?.first?["column"] is NSNull)
        // The id with a quote survives escaping.
        #expect((object?["groups"] as? [[String: Any]])?.first?["members"] as? [String] == ["c\"q", "d"])
    }

    @Test func jsonIsByteIdenticalApartFromTimestamps() {
        let a = JSONExport.render(Self.report(started: "2026-01-01T00:00:00.000Z"))
        let b = JSONExport.render(Self.report(started: "2026-01-01T00:00:00.000Z"))
        #expect(a == b)
    }

    @Test func sqliteAppendsOneCompleteRunPerCall() throws {
        let dir = TestSupport.temporaryDirectory()
        let path = dir + "/k.sqlite"
        _ = try Exporter.write(Self.report(), databasePath: path, jsonPath: nil)
        let second = try Exporter.write(Self.report(), databasePath: path, jsonPath: nil)
        #expect(second.runID == 2)
        let db = try SQLiteDatabase(path: path)
        func count(_ sql: String) throws -> Int64 {
            let s = try db.prepare(sql)
            _ = try s.step()
            return s.int(0)
        }
        #expect(try count("SELECT count(*) FROM runs WHERE status = 'complete'") == 2)
        #expect(try count("SELECT count(*) FROM matches WHERE run_id = 2") == 4)
        #expect(try count("SELECT count(*) FROM matches WHERE run_id = 2 AND rank = 1 AND shared_tags = '[\"loss\",\"grief\"]'") == 4)
        #expect(try count("SELECT count(*) FROM group_members WHERE run_id = 1") == 2)
        #expect(try count("SELECT count(*) FROM unmatched WHERE stage = 'group'") == 2)
        #expect(try count("SELECT count(*) FROM rejects WHERE \"column\" IS NULL AND line = 7") == 2)
        #expect(try count("SELECT count(*) FROM run_metrics WHERE run_id = 1 AND value IS NULL") == 1)
        #expect(try count("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'matches_%'") == 2)
        // "Who ranked X", in one run or across runs, reads `matches_candidate`
        // instead of scanning every run's rows.
        for query in ["SELECT profile_id FROM matches WHERE candidate_id = 'b' AND run_id = 2",
                      "SELECT run_id, profile_id FROM matches WHERE candidate_id = 'b'"] {
            let plan = try db.prepare("EXPLAIN QUERY PLAN " + query)
            #expect(try plan.step())
            #expect(plan.text(3)?.contains("USING INDEX matches_candidate (candidate_id=") == true, "\(query)")
        }
    }

    @Test func failedExportLeavesExistingFilesUntouched() throws {
        let dir = TestSupport.temporaryDirectory()
        let db = dir + "/k.sqlite", json = dir + "/k.json"
        _ = try Exporter.write(Self.report(), databasePath: db, jsonPath: json)
        let dbBefore = try Data(contentsOf: URL(fileURLWithPath: db))
        let jsonBefore = try Data(contentsOf: URL(fileURLWithPath: json))
        // Make the database fail mid-transaction: a table of the wrong shape.
        let handle = try SQLiteDatabase(path: db)
        try handle.execute("DROP TABLE groups; CREATE TABLE groups (x INTEGER)")
        handle.close()
        let dbBroken = try Data(contentsOf: URL(fileURLWithPath: db))
        #expect(throws: ExportError.self) { try Exporter.write(Self.report(started: "later"), databasePath: db, jsonPath: json) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == dbBroken)
        #expect(try Data(contentsOf: URL(fileURLWithPath: json)) == jsonBefore)
        #expect(dbBefore != dbBroken)
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["k.json", "k.sqlite"])
    }

    @Test func failedExportDoesNotCreateADatabase() throws {
        let dir = TestSupport.temporaryDirectory()
        #expect(throws: ExportError.self) {
            try Exporter.write(Self.report(), databasePath: dir + "/missing-folder/k.sqlite", jsonPath: dir + "/k.json")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    /// Every row of every table, in rowid order, as text.
    static func dump(_ path: String) throws -> [String: String] {
        let db = try SQLiteDatabase(path: path)
        defer { db.close() }
        var out: [String: String] = [:]
        for table in ["runs", "run_metrics", "matches", "assignments", "groups", "group_members", "unmatched",
                      "incumbency", "rejects"] {
            let columns = try db.prepare(
                "SELECT group_concat('quote(\"' || name || '\")', ' || '','' || ') FROM pragma_table_info('\(table)')")
            _ = try columns.step()
            let rows = try db.prepare(
                "SELECT group_concat(r, char(10)) FROM (SELECT \(columns.text(0)!) AS r FROM \(table) ORDER BY rowid)")
            _ = try rows.step()
            out[table] = rows.text(0) ?? ""
        }
        return out
    }

    /// The nightly run begins the export with the ranking alone and finishes
    /// it with the decisions: the files equal those of one `write` of the
    /// whole run, `finished_at` included (the provisional value is replaced).
    @Test func exportBegunWithTheRankingEqualsOneWrite() throws {
        let dir = TestSupport.temporaryDirectory()
        let whole = Self.report(started: "2026-01-01T00:00:00.000Z")
        var finished = whole
        finished.finishedAt = "2026-01-01T00:09:00.000Z"
        var ranking = whole
        ranking.assignments = []
        ranking.groups = []
        ranking.unmatched = []
        ranking.metrics = []
        _ = try Exporter.write(finished, databasePath: dir + "/a.sqlite", jsonPath: dir + "/a.json")
        let export = try Exporter.begin(ranking, databasePath: dir + "/b.sqlite", jsonPath: dir + "/b.json")
        let outcome = try export.finish(finished)
        #expect(outcome.runID == 1)
        let a = try Self.dump(dir + "/a.sqlite"), b = try Self.dump(dir + "/b.sqlite")
        #expect(a == b)
        #expect(b["runs"]?.contains("'2026-01-01T00:09:00.000Z'") == true)
        #expect(b["assignments"]?.isEmpty == false && b["matches"]?.isEmpty == false)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/a.json"))
                == Data(contentsOf: URL(fileURLWithPath: dir + "/b.json")))
    }

    /// An export begun and dropped (the run failed while deciding) rolls
    /// back: an existing database keeps its bytes, a new one is not left
    /// behind, and no JSON is written.
    @Test func droppedExportLeavesNoTrace() throws {
        let dir = TestSupport.temporaryDirectory()
        let db = dir + "/k.sqlite"
        _ = try Exporter.write(Self.report(), databasePath: db, jsonPath: nil)
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        do { _ = try Exporter.begin(Self.report(), databasePath: db, jsonPath: dir + "/k.json") }
        do { _ = try Exporter.begin(Self.report(), databasePath: dir + "/new.sqlite", jsonPath: nil) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["k.sqlite"])
        #expect(try Self.dump(db)["runs"]?.split(separator: "\n").count == 1)
    }

    /// A failure in the first step (the `matches` rows) leaves both files
    /// as they were, like one in the second.
    @Test func failureWhileWritingMatchesLeavesFilesUntouched() throws {
        let dir = TestSupport.temporaryDirectory()
        let db = dir + "/k.sqlite", json = dir + "/k.json"
        _ = try Exporter.write(Self.report(), databasePath: db, jsonPath: json)
        let jsonBefore = try Data(contentsOf: URL(fileURLWithPath: json))
        // The same columns, but no row can be inserted.
        let handle = try SQLiteDatabase(path: db)
        try handle.execute("""
            DROP TABLE matches;
            CREATE TABLE matches (run_id INTEGER NOT NULL, profile_id TEXT NOT NULL, rank INTEGER NOT NULL,
                candidate_id TEXT NOT NULL, score REAL NOT NULL, shared_tags TEXT NOT NULL CHECK (rank < 0));
            """)
        handle.close()
        let dbBroken = try Data(contentsOf: URL(fileURLWithPath: db))
        #expect(throws: ExportError.self) { try Exporter.write(Self.report(started: "later"), databasePath: db, jsonPath: json) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == dbBroken)
        #expect(try Data(contentsOf: URL(fileURLWithPath: json)) == jsonBefore)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["k.json", "k.sqlite"])
    }

    /// A run of `people` peers with 10 candidates each and two shared tags
    /// per row: about 5 MB of `matches` pages at 6,000 people, more than the
    /// 2 MiB cache `matches_candidate` is built with.
    static func largeReport(people: Int) -> RunReport {
        let profiles = (0 ..< people).map { Profile(id: String(format: "p%06d", $0), role: .peer, languages: ["en"]) }
        let d = Dataset(profiles: profiles, tags: Array(repeating: [], count: people), tagNames: ["grief", "loss"],
                        exclusions: [])
        let m = RankedMatches(lists: (0 ..< people).map { i in
            (1 ... 10).map { k in Candidate(index: Int32((i + k) % people), score: Score(micro: Int32(900_000 - k))) }
        })
        var r = report()
        r.dataset = d
        r.matches = m
        r.sharedTags = SharedTags(rows: m.entries.count) { _ in [1, 0] }
        r.assignments = []
        r.groups = [SupportGroup(id: 1, kind: .peer, language: "en", members: [0, 1], cohesion: Score(0.5),
                                 theme: ["grief"], fit: [Score(0.5), Score(0.5)])]
        r.unmatched = []
        return r
    }

    /// A failure in the second step after a large first step, whose pages
    /// SQLite has spilled into the database file mid-transaction: the
    /// rollback still restores the file byte for byte.
    @Test func failureAfterALargeFirstStepRestoresTheFile() throws {
        let dir = TestSupport.temporaryDirectory()
        let db = dir + "/k.sqlite", json = dir + "/k.json"
        _ = try Exporter.write(Self.report(), databasePath: db, jsonPath: json)
        let handle = try SQLiteDatabase(path: db)
        try handle.execute("DROP TABLE groups; CREATE TABLE groups (x INTEGER)")
        handle.close()
        let dbBroken = try Data(contentsOf: URL(fileURLWithPath: db))
        let jsonBefore = try Data(contentsOf: URL(fileURLWithPath: json))
        #expect(throws: ExportError.self) {
            try Exporter.write(Self.largeReport(people: 6000), databasePath: db, jsonPath: json)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == dbBroken)
        #expect(try Data(contentsOf: URL(fileURLWithPath: json)) == jsonBefore)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["k.json", "k.sqlite"])
    }

    /// The one window the scheme leaves: the rename failing after COMMIT. The
    /// run is in the database, the error names the JSON target, and no
    /// temporary file is left.
    @Test func renameFailureAfterCommitKeepsTheRunAndCleansUp() throws {
        let dir = TestSupport.temporaryDirectory()
        let db = dir + "/k.sqlite", json = dir + "/k.json"
        // A folder in the JSON file's place: a file cannot be renamed over it.
        try FileManager.default.createDirectory(atPath: json + "/inside", withIntermediateDirectories: true)
        #expect {
            try Exporter.write(Self.report(), databasePath: db, jsonPath: json)
        } throws: { error in
            (error as? ExportError)?.message.hasPrefix("cannot move the JSON export into place (errno ") == true
        }
        #expect(try Self.dump(db)["runs"]?.split(separator: "\n").count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["k.json", "k.sqlite"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: json) == ["inside"])
    }

    @Test func configJSONListsEveryKeySorted() throws {
        let json = ConfigJSON.render(KindredConfig())
        let keys = Self.objectKeyLists(Array(json.utf8))
        #expect(keys.last == ["assignment", "group_join_ratio", "group_max", "group_min", "group_min_cohesion", "shared_tags_max", "theme_max", "top_k", "weights"])
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect((object?["weights"] as? [String: Double])?["tags"] == 0.7)
    }
}
