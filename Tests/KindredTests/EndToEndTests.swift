import Foundation
import Testing
import KindredCore
@testable import KindredExport

/// Runs the built `kindred` executable on fixture files, as a coordinator would.
@Suite(.serialized) struct EndToEndTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/small").path

    /// The `kindred` binary next to the test bundle.
    static var executable: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0 ..< 4 {
            let candidate = dir.appendingPathComponent("kindred").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/kindred").path
    }

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func kindred(_ args: [String]) throws -> Outcome {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Outcome(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static func inputs(_ dir: String = fixtures) -> [String] {
        ["--profiles", dir + "/profiles.csv", "--tags", dir + "/tags.csv", "--exclusions", dir + "/exclusions.csv",
         "--config", dir + "/kindred.toml"]
    }

    @Test func runWritesBothExportsAndTheyAgree() throws {
        let dir = TestSupport.temporaryDirectory()
        let r = try Self.kindred(["run"] + Self.inputs() + ["--db", dir + "/k.sqlite", "--json", dir + "/k.json", "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("13 valid"))
        #expect(r.stdout.contains("6 rejected rows"))
        #expect(r.stdout.contains("unknown columns ignored in profiles.csv: name"))
        // Sensitive values never reach the summary or the logs.
        for secret in ["Doe", "Jane", "private note", "woman"] {
            #expect(!r.stdout.contains(secret) && !r.stderr.contains(secret))
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/k.json"))) as! [String: Any]
        let matches = json["matches"] as! [[String: Any]]
        let ids = matches.map { $0["profile_id"] as! String }
        #expect(ids == ids.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        // Hand-checked: s1 (grief 2, loss-of-parent 1) and u1 (grief 1, loss-of-parent 2) rank each other first.
        let s1 = matches.first { $0["profile_id"] as? String == "s1" }!["candidates"] as! [[String: Any]]
        #expect(s1.first?["id"] as? String == "u1")
        // s3 speaks only French: no supporter does.
        let unmatched = json["unmatched"] as! [[String: Any]]
        #expect(unmatched.contains { $0["profile_id"] as? String == "s3" && $0["stage"] as? String == "ranking"
            && ($0["reason"] as? String)?.contains("language") == true })
        // Inactive p4 appears nowhere.
        let text = try String(contentsOfFile: dir + "/k.json", encoding: .utf8)
        #expect(!text.contains("\"p4\""))
        #expect(!text.contains("Doe") && !text.contains("private note"))

        let db = try SQLiteDatabase(path: dir + "/k.sqlite")
        let q = try db.prepare("SELECT count(*) FROM matches")
        _ = try q.step()
        let rows = matches.reduce(0) { $0 + ($1["candidates"] as! [Any]).count }
        #expect(Int(q.int(0)) == rows)
        let sha = try db.prepare("SELECT count(*) FROM runs WHERE input_sha256 = '\((json["run"] as! [String: Any])["input_sha256"] as! String)'")
        _ = try sha.step()
        #expect(sha.int(0) == 1)
    }

    @Test func inputHashIsTheSHA256OfTheInputFilesInOrder() throws {
        let dir = TestSupport.temporaryDirectory()
        let r = try Self.kindred(["run"] + Self.inputs() + ["--json", dir + "/k.json", "--quiet"])
        #expect(r.status == 0)
        var all = Data()
        for f in ["profiles.csv", "tags.csv", "exclusions.csv", "kindred.toml"] {
            all.append(try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/" + f)))
        }
        try all.write(to: URL(fileURLWithPath: dir + "/concat"))
        // Independent reference: the system's sha256sum, when present.
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sha256sum") else { return }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [dir + "/concat"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        p.waitUntilExit()
        let expected = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/k.json"))) as! [String: Any]
        #expect((json["run"] as! [String: Any])["input_sha256"] as? String == String(expected))
    }

    @Test func twoRunsGiveTheSameJSONApartFromTimestamps() throws {
        let dir = TestSupport.temporaryDirectory()
        var documents: [String] = []
        for (n, threads) in ["1", "2"].enumerated() {
            let r = try Self.kindred(["run"] + Self.inputs() + ["--json", dir + "/k\(n).json", "--threads", threads, "--quiet"])
            #expect(r.status == 0)
            let text = try String(contentsOfFile: dir + "/k\(n).json", encoding: .utf8)
            documents.append(text.replacing(/"(started|finished)_at":"[^"]*"/, with: "TIME"))
        }
        #expect(documents[0] == documents[1])
    }

    @Test func strictFailsOnRejectsAndWritesNothing() throws {
        let dir = TestSupport.temporaryDirectory()
        let r = try Self.kindred(["run"] + Self.inputs() + ["--db", dir + "/k.sqlite", "--json", dir + "/k.json", "--strict"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--strict"))
        #expect(r.stdout.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func fatalInputLeavesExistingOutputsExactlyAsTheyWere() throws {
        let dir = TestSupport.temporaryDirectory()
        let outputs = ["--db", dir + "/k.sqlite", "--json", dir + "/k.json", "--quiet"]
        #expect(try Self.kindred(["run"] + Self.inputs() + outputs).status == 0)
        let before = try [dir + "/k.sqlite", dir + "/k.json"].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        // Tags file in Latin-1: fatal, named with its line.
        let bad = dir + "/bad"
        try FileManager.default.createDirectory(atPath: bad, withIntermediateDirectories: true)
        for f in ["profiles.csv", "exclusions.csv", "kindred.toml"] {
            try FileManager.default.copyItem(atPath: Self.fixtures + "/" + f, toPath: bad + "/" + f)
        }
        try Data("profile_id,tag\ns1,gri".utf8 + [0xE9] + "f\n".utf8).write(to: URL(fileURLWithPath: bad + "/tags.csv"))
        let r = try Self.kindred(["run"] + Self.inputs(bad) + outputs)
        #expect(r.status != 0)
        #expect(r.stderr.contains("tags.csv:2"))
        #expect(r.stderr.contains("UTF-8"))
        let after = try [dir + "/k.sqlite", dir + "/k.json"].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        #expect(before == after)
    }

    @Test func missingColumnAndMissingFileAreOneClearMessage() throws {
        let dir = TestSupport.temporaryDirectory()
        try "id,role\na,peer\n".write(toFile: dir + "/p.csv", atomically: true, encoding: .utf8)
        let r = try Self.kindred(["run", "--profiles", dir + "/p.csv", "--tags", Self.fixtures + "/tags.csv", "--json", dir + "/k.json"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("p.csv") && r.stderr.contains("languages"))
        let m = try Self.kindred(["validate", "--profiles", dir + "/nope.csv", "--tags", Self.fixtures + "/tags.csv"])
        #expect(m.status != 0)
        #expect(m.stderr.contains("nope.csv: file not found"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["p.csv"])
    }

    @Test func validateReportsRejectsWithPositionsAndWritesNothing() throws {
        let r = try Self.kindred(["validate"] + Self.inputs())
        #expect(r.status == 0)
        #expect(r.stdout.contains("reject: profiles.csv:16: column 'id'"))
        #expect(r.stdout.contains("reject: tags.csv:22: column 'weight': not a number"))
        let strict = try Self.kindred(["validate", "--strict"] + Self.inputs())
        #expect(strict.status != 0)
    }

    @Test func usageErrorsFollowArgumentParserConventions() throws {
        let r = try Self.kindred(["run", "--profiles", "p.csv"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("--tags"))
    }

    @Test func generateIsDeterministicAndItsOutputValidates() throws {
        let dir = TestSupport.temporaryDirectory()
        for out in ["a", "b"] {
            #expect(try Self.kindred(["generate", "--count", "300", "--seed", "5", "--out", dir + "/" + out, "--vocabulary", "50"]).status == 0)
        }
        for f in ["profiles.csv", "tags.csv", "exclusions.csv"] {
            #expect(FileManager.default.contentsEqual(atPath: dir + "/a/" + f, andPath: dir + "/b/" + f))
        }
        let v = try Self.kindred(["validate", "--strict", "--profiles", dir + "/a/profiles.csv", "--tags", dir + "/a/tags.csv",
                                  "--exclusions", dir + "/a/exclusions.csv"])
        #expect(v.status == 0, "\(v.stdout)")
        #expect(v.stdout.contains("profiles: 300 valid"))
        // Every role appears, and some minors and unknown ages.
        let profiles = try String(contentsOfFile: dir + "/a/profiles.csv", encoding: .utf8)
        for needle in [",peer,", ",seeker,", ",supporter,", "under-18", ",false\n"] { #expect(profiles.contains(needle)) }
    }
}
