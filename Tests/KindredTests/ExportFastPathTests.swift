import Dispatch
import Foundation
import Synchronization
import Testing
import KindredCore
@testable import KindredExport

/// The export's fast paths against straightforward references written here,
/// not taken from the code under test.
@Suite struct ExportFastPathTests {
    // MARK: JSON strings

    /// RFC 8259 escaping, one Unicode scalar at a time (the writer works on
    /// UTF-8 bytes; this works on scalars, so the two are independent).
    static func referenceQuoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    static func randomString(_ rng: inout TestSupport.RNG) -> String {
        // Plain ASCII most of the time, so the fast path's prefix copy and the
        // escaping tail both get long runs; specials and non-ASCII otherwise.
        let specials: [Unicode.Scalar] = ["\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1}", "\u{1F}", "\u{7F}",
                                          "é", "ß", "€", "\u{2028}", "😀", "/", " "]
        var s = String.UnicodeScalarView()
        for _ in 0 ..< rng.below(40) {
            if rng.chance(0.8) {
                s.append(Unicode.Scalar(UInt8(0x20 + rng.below(0x5F))))
            } else {
                s.append(specials[rng.below(specials.count)])
            }
        }
        return String(s)
    }

    @Test func quotedStringsMatchTheReferenceEscaper() throws {
        var rng = TestSupport.RNG(7)
        var strings = ["", "a", "\"", "\\", "plain-id-0001", "tab\there", "\u{0}", "ends with quote\"",
                       "naïve café", "emoji 😀 ok", String(repeating: "x", count: 1000) + "\n"]
        for _ in 0 ..< 5000 { strings.append(Self.randomString(&rng)) }
        for s in strings {
            var out: [UInt8] = []
            JSONText.appendQuoted(s, to: &out)
            #expect(out == Array(Self.referenceQuoted(s).utf8), "\(s.debugDescription)")
            // And it parses back to the same string.
            let parsed = try JSONSerialization.jsonObject(with: Data(out), options: .fragmentsAllowed) as? String
            #expect(parsed == s)
        }
    }

    @Test func quotedTableEntriesAreTheQuotedStrings() {
        let strings = ["a", "", "b\"c", "d\\e", "ünï"]
        let plain = TextTable.plain(strings)
        let quoted = TextTable.jsonQuoted(strings)
        #expect(plain.count == strings.count && quoted.count == strings.count)
        for (i, s) in strings.enumerated() {
            #expect(Array(plain[i]) == Array(s.utf8))
            #expect(Array(quoted[i]) == Array(Self.referenceQuoted(s).utf8))
        }
        withExtendedLifetime((plain, quoted)) {}
    }

    @Test func tagArraysAreJSONArraysOfTheNames() {
        let names = ["grief", "lo\"ss", "x"]
        let quoted = TextTable.jsonQuoted(names)
        for tags: [Int32] in [[], [0], [2, 0, 1], [1, 1]] {
            var out: [UInt8] = []
            JSONText.appendArray(tags[...], of: quoted, to: &out)
            let expected = "[" + tags.map { Self.referenceQuoted(names[Int($0)]) }.joined(separator: ",") + "]"
            #expect(String(decoding: out, as: UTF8.self) == expected)
        }
        withExtendedLifetime(quoted) {}
    }

    // MARK: Numbers

    /// What the first writer did: whole numbers via Int64, else Swift's
    /// shortest round-trip `description`.
    static func referenceNumber(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    static func rendered(_ body: (inout JSONText) -> Void) -> String {
        var j = JSONText()
        body(&j)
        return String(decoding: j.bytes, as: UTF8.self)
    }

    /// Every score in ±1 (where scores, cohesions and fits live), then
    /// random ones over the whole micro range and its edges.
    @Test func scoreTextMatchesTheGeneralPathForEveryMicroValue() {
        var mismatches: [Int32] = []
        var j = JSONText(reserving: 32)
        var rng = TestSupport.RNG(5)
        var micros = Array(Int32(-1_000_000) ... 1_000_000)
        micros += [Int32.min, Int32.min + 1, Int32.max, Int32.max - 1, 999_999_999, -999_999_999]
        for _ in 0 ..< 100_000 { micros.append(Int32(truncatingIfNeeded: rng.next())) }
        for m in micros {
            j.bytes.removeAll(keepingCapacity: true)
            j.score(Score(micro: m))
            let expected = Self.referenceNumber(Double(m) / 1_000_000)
            if !j.bytes.elementsEqual(expected.utf8) { mismatches.append(m) }
        }
        #expect(mismatches.isEmpty, "first: \(mismatches.prefix(5))")
    }

    @Test func integersAndDoublesMatchTheGeneralPath() {
        var rng = TestSupport.RNG(3)
        var ints = [0, 1, -1, 9, 10, -10, 99, 100, Int.max, Int.min, Int.min + 1]
        for _ in 0 ..< 10000 { ints.append(Int(bitPattern: UInt(rng.next())) >> rng.below(64)) }
        for v in ints { #expect(Self.rendered { $0.number(v) } == String(v)) }
        var doubles: [Double] = [0, -0.0, 1, -1, 0.5, 1e-5, 1e15, 1e16, -2.5e-300, .nan, .infinity, -.infinity, 0.1 + 0.2]
        for _ in 0 ..< 10000 { doubles.append(Double(bitPattern: rng.next())) }
        for v in doubles {
            let expected = v.isFinite ? Self.referenceNumber(v) : "null"
            #expect(Self.rendered { $0.number(v) } == expected, "\(v)")
        }
    }

    // MARK: Shared tags

    /// Each row explained exactly once, whatever mix of readers and threads
    /// asks for it, and every reader sees the same lists.
    @Test(arguments: [0, 1, 16383, 16384, 16385, 70000])
    func sharedTagsExplainEachRowOnceAcrossThreads(rows: Int) {
        let calls = Atomic<Int>(0)
        let explain: @Sendable (Int) -> [Int32] = { r in
            calls.add(1, ordering: .relaxed)
            return (0 ..< Int32(r % 4)).map { Int32(r) &+ $0 }
        }
        let tags = SharedTags(rows: rows, explain: explain)
        let mismatches = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            switch worker {
            case 0, 1:
                var reader = SharedTags.Reader(tags)
                for r in 0 ..< rows where Array(reader.of(r)) != explainPure(r) { mismatches.add(1, ordering: .relaxed) }
            case 2:
                var reader = SharedTags.Reader(tags)
                for r in stride(from: rows - 1, through: 0, by: -1) where Array(reader.of(r)) != explainPure(r) {
                    mismatches.add(1, ordering: .relaxed)
                }
            default:
                for r in stride(from: 0, to: rows, by: 997) where Array(tags.of(r)) != explainPure(r) {
                    mismatches.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(mismatches.load(ordering: .relaxed) == 0)
        #expect(calls.load(ordering: .relaxed) == rows)
    }

    func explainPure(_ r: Int) -> [Int32] { (0 ..< Int32(r % 4)).map { Int32(r) &+ $0 } }

    @Test func precomputedSharedTagsReadBack() {
        let tags = SharedTags(offsets: [0, 2, 2, 3], tags: [5, 1, 7])
        #expect(tags.count == 3)
        #expect(Array(tags.of(0)) == [5, 1] && tags.of(1).isEmpty && Array(tags.of(2)) == [7])
    }

    // MARK: SQLite batches

    /// Row counts around the batch size: every row lands once, in order,
    /// with its values, whether it went through the batch or the tail.
    @Test(arguments: [0, 1, 63, 64, 65, 128, 200])
    func batchedInsertKeepsEveryRowInOrder(count: Int) throws {
        let dir = TestSupport.temporaryDirectory()
        let db = try SQLiteDatabase(path: dir + "/b.sqlite")
        try db.execute("CREATE TABLE t (run_id INTEGER NOT NULL, n INTEGER NOT NULL, label TEXT NOT NULL)")
        let labels = TextTable.plain((0 ..< count).map { "row-\($0)" })
        let insert = try SQLiteDatabase.BatchedInsert(db, table: "t", columns: ["run_id", "n", "label"], rowsPerBatch: 64)
        try insert.bindEveryRow(column: 0, 42)
        try withExtendedLifetime(labels) {
            try insert.insert(count: count) { statement, rows in
                for (slot, i) in rows.enumerated() {
                    try statement.bind(insert.parameter(slot: slot, column: 1), i)
                    try statement.bindText(insert.parameter(slot: slot, column: 2), labels[i])
                }
                try statement.run()
            }
        }
        let rows = try db.prepare("SELECT rowid, run_id, n, label FROM t ORDER BY rowid")
        var seen = 0
        while try rows.step() {
            #expect(rows.int(0) == Int64(seen + 1) && rows.int(1) == 42 && rows.int(2) == Int64(seen))
            #expect(rows.text(3) == "row-\(seen)")
            seen += 1
        }
        #expect(seen == count)
    }

    /// A constraint failing in the middle of a batch (`INSERT OR FAIL` keeps
    /// the batch's earlier rows) still leaves the database exactly as it was:
    /// the whole transaction is rolled back.
    @Test func failureInsideABatchRollsBackTheWholeRun() throws {
        let n = 100
        let profiles = (0 ..< n).map { Profile(id: String(format: "p%03d", $0), role: .seeker, languages: ["en"]) }
        let d = Dataset(profiles: profiles, tags: Array(repeating: [], count: n), tagNames: [], exclusions: [], rejects: [])
        let assignments = (0 ..< n).map { Assignment(kind: .support, profile: Int32($0), partner: Int32(($0 + 1) % n), score: Score(0.5)) }
        let report = RunReport(startedAt: "s", finishedAt: "f", engineVersion: "t", configJSON: "{}", inputSHA256: "0",
                               dataset: d, matches: RankedMatches(lists: Array(repeating: [], count: n)),
                               sharedTags: SharedTags(offsets: [0], tags: []), assignments: assignments,
                               groups: [], unmatched: [])
        let path = TestSupport.temporaryDirectory() + "/f.sqlite"
        _ = try Exporter.write(report, databasePath: path, jsonPath: nil)
        let db = try SQLiteDatabase(path: path)
        // Row 70 of the next run breaks a constraint: the second batch of 64.
        try db.execute("""
            ALTER TABLE assignments RENAME TO old_assignments;
            CREATE TABLE assignments (run_id INTEGER NOT NULL, kind TEXT NOT NULL, profile_id TEXT NOT NULL,
                partner_id TEXT NOT NULL, score REAL NOT NULL, CHECK (run_id = 1 OR profile_id != 'p070'));
            INSERT INTO assignments SELECT * FROM old_assignments; DROP TABLE old_assignments;
            """)
        db.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: ExportError.self) { try Exporter.write(report, databasePath: path, jsonPath: nil) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    /// The `matches` table of a report with more rows than one batch and a
    /// partial tail, checked row by row against the report itself.
    @Test func matchesRowsAgreeWithTheReport() throws {
        var rng = TestSupport.RNG(11)
        let n = 60
        let profiles = (0 ..< n).map { Profile(id: String(format: "p%03d", $0), role: .peer, languages: ["en"]) }
        let tagNames = ["a", "b\"q", "c", "ü"]
        let lists: [[Candidate]] = (0 ..< n).map { i in
            (0 ..< rng.below(6)).map { _ in Candidate(index: Int32(rng.below(n)), score: Score(micro: Int32(rng.below(1_000_001)))) }
        }
        let matches = RankedMatches(lists: lists)
        let explain: @Sendable (Int) -> [Int32] = { e in (0 ..< Int32(e % 3)).map { Int32((e + Int($0)) % 4) } }
        let d = Dataset(profiles: profiles, tags: Array(repeating: [], count: n), tagNames: tagNames, exclusions: [], rejects: [])
        let report = RunReport(startedAt: "s", finishedAt: "f", engineVersion: "t", configJSON: "{}",
                               inputSHA256: "0", dataset: d, matches: matches,
                               sharedTags: SharedTags(rows: matches.entries.count, explain: explain),
                               assignments: [], groups: [], unmatched: [])
        #expect(matches.entries.count > SQLiteExport.rowsPerInsert && matches.entries.count % SQLiteExport.rowsPerInsert != 0)
        let path = TestSupport.temporaryDirectory() + "/m.sqlite"
        _ = try Exporter.write(report, databasePath: path, jsonPath: nil)
        let db = try SQLiteDatabase(path: path)
        let rows = try db.prepare("SELECT profile_id, rank, candidate_id, score, shared_tags FROM matches ORDER BY rowid")
        var e = 0
        for i in 0 ..< n {
            for (rank, c) in lists[i].enumerated() {
                #expect(try rows.step())
                let tags = "[" + explain(e).map { Self.referenceQuoted(tagNames[Int($0)]) }.joined(separator: ",") + "]"
                #expect(rows.text(0) == profiles[i].id && rows.int(1) == Int64(rank + 1))
                #expect(rows.text(2) == profiles[Int(c.index)].id && rows.double(3) == c.score.value)
                #expect(rows.text(4) == tags)
                e += 1
            }
        }
        #expect(try !rows.step())
    }
}
