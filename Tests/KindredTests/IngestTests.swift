import Testing
import KindredCore
@testable import KindredIngest

/// Validation of profiles.csv, tags.csv and exclusions.csv (contract §1).
@Suite struct IngestTests {
    let header = "id,role,languages,age_band,gender,gender_preference,capacity,active\n"

    func rejects(_ d: Dataset, file: String) -> [Reject] { d.rejects.filter { $0.file == file } }

    @Test func validProfilesAreNormalisedAndSortedById() throws {
        let d = try TestSupport.load(
            profiles: "ID , Role,LANGUAGES,Age_Band,gender,extra\nb,PEER, EN;es ;en,18-24, Woman ,secret\na,seeker,fr,,,x\n",
            tags: "profile_id,tag\n")
        #expect(d.profiles.map(\.id) == ["a", "b"])
        #expect(d.profiles[1].role == .peer)
        #expect(d.profiles[1].languages == ["en", "es"])
        #expect(d.profiles[1].ageBand == .from18to24)
        #expect(d.profiles[1].gender == "woman")
        #expect(d.profiles[0].ageBand == nil)
        #expect(d.unknownColumns.count == 1)
        #expect(d.unknownColumns[0].columns == ["extra"])
        #expect(d.rejects.isEmpty)
    }

    @Test(arguments: [
        ("bad id!,peer,en,,,,,", "id"),
        (",peer,en,,,,,", "id"),
        ("\(String(repeating: "x", count: 65)),peer,en,,,,,", "id"),
        ("x,mentor,en,,,,,", "role"),
        ("x,peer,,,,,,", "languages"),
        ("x,peer, ; ,,,,,", "languages"),
        ("x,peer,en,17,,,,", "age_band"),
        ("x,peer,en,,,maybe,,", "gender_preference"),
        ("x,supporter,en,,,,1001,", "capacity"),
        ("x,supporter,en,,,,-1,", "capacity"),
        ("x,supporter,en,,,,2.5,", "capacity"),
        ("x,peer,en,,,,,perhaps", "active"),
    ])
    func badProfileFieldIsRejectedWithColumnAndLine(row: String, column: String) throws {
        let d = try TestSupport.load(profiles: header + "ok,peer,en,,,,,\n" + row + "\n", tags: "profile_id,tag\n")
        let r = rejects(d, file: "profiles.csv")
        #expect(r.count == 1)
        #expect(r.first?.line == 3)
        #expect(r.first?.column == column)
        #expect(d.profiles.map(\.id) == ["ok"])
    }

    /// tags.csv is parsed alongside profiles.csv, but errors keep file order:
    /// a fatal problem in profiles.csv is the one reported, then a profiles
    /// file with no valid row, and only then one in tags.csv.
    @Test func fatalErrorsAreReportedInFileOrder() throws {
        let badTags = "profile_id,weight\na,1\n"
        for (profiles, expected) in [("id,languages\na,en\n", "required column missing from the header: role"),
                                     ("id,role,languages\n,peer,en\n", "has no valid profile rows (1 rejected)"),
                                     ("id,role,languages\na,peer,en\n", "required column missing from the header: tag")] {
            #expect {
                try TestSupport.load(profiles: profiles, tags: badTags)
            } throws: { error in
                let e = error as? InputError
                return e?.message == expected && e?.file == (expected.hasSuffix("tag") ? "tags.csv" : "profiles.csv")
            }
        }
    }

    @Test func capacityIsOnlyReadForSupporters() throws {
        let d = try TestSupport.load(profiles: header + "a,peer,en,,,,lots,\nb,supporter,en,,,,,\nc,supporter,en,,,,0,\n",
                                     tags: "profile_id,tag\n")
        #expect(d.rejects.isEmpty)
        #expect(d.profiles.map(\.capacity) == [1, 1, 0])
    }

    @Test func duplicateIdKeepsTheEarlierRow() throws {
        let d = try TestSupport.load(profiles: header + "a,peer,en,,,,,\na,seeker,en,,,,,\n", tags: "profile_id,tag\n")
        #expect(d.profiles.count == 1)
        #expect(d.profiles[0].role == .peer)
        #expect(d.rejects.first?.line == 3)
        #expect(d.rejects.first?.reason.contains("line 2") == true)
    }

    @Test func laterRowOfAnIdIsRejectedEvenWhenTheEarlierWasInvalid() throws {
        let d = try TestSupport.load(profiles: header + "a,mentor,en,,,,,\na,peer,en,,,,,\nb,peer,en,,,,,\n", tags: "profile_id,tag\n")
        #expect(d.profiles.map(\.id) == ["b"])
        #expect(d.rejects.map(\.line) == [2, 3])
        #expect(d.rejects.map(\.column) == ["role", "id"])
    }

    @Test func wrongFieldCountIsARowReject() throws {
        let d = try TestSupport.load(profiles: header + "a,peer,en,,,,,,extra\nb,peer,en,,,,,\n", tags: "profile_id,tag\n")
        #expect(d.profiles.map(\.id) == ["b"])
        #expect(d.rejects.first?.column == nil)
        #expect(d.rejects.first?.line == 2)
    }

    @Test func activeValues() throws {
        let d = try TestSupport.load(profiles: header + "a,peer,en,,,,,No\nb,peer,en,,,,,1\nc,peer,en,,,,,\n", tags: "profile_id,tag\n")
        #expect(d.profiles.map(\.active) == [false, true, true])
    }

    @Test func tagsAreNormalisedAndRepeatedPairsKeepTheLargerWeight() throws {
        let d = try TestSupport.load(
            profiles: header + "a,peer,en,,,,,\n",
            tags: "profile_id,tag,weight\na,  Loss  of\tParent ,2\na,loss-of-parent,5\na,GRIEF,\na,grief,0.5\n")
        #expect(d.tagNames == ["grief", "loss-of-parent"])
        #expect(d.tags[0] == [TagWeight(tag: 0, weight: 1), TagWeight(tag: 1, weight: 5)])
        let r = rejects(d, file: "tags.csv")
        #expect(r.map(\.line) == [2, 5])
        #expect(r.allSatisfy { $0.reason.contains("larger weight") })
    }

    @Test(arguments: [
        ("zz,grief,1", "profile_id"), ("a,,1", "tag"), ("a,grief,abc", "weight"), ("a,grief,0", "weight"),
        ("a,grief,10.5", "weight"), ("a,grief,nan", "weight"), ("a,grief,inf", "weight"), ("a,grief,-1", "weight"),
        ("a,\(String(repeating: "t", count: 65)),1", "tag"),
    ])
    func badTagRowIsRejected(row: String, column: String) throws {
        let d = try TestSupport.load(profiles: header + "a,peer,en,,,,,\n", tags: "profile_id,tag,weight\n\(row)\na,ok,10\n")
        let r = rejects(d, file: "tags.csv")
        #expect(r.count == 1)
        #expect(r.first?.column == column)
        #expect(r.first?.line == 2)
        #expect(d.tags[0].count == 1)
    }

    @Test func tagsOfARejectedProfileAreRejectedToo() throws {
        let d = try TestSupport.load(profiles: header + "a,peer,en,,,,,\na,peer,en,,,,,\nbad!,peer,en,,,,,\n",
                                     tags: "profile_id,tag\nbad!,grief\n")
        #expect(rejects(d, file: "tags.csv").first?.column == "profile_id")
    }

    @Test func exclusionsResolveIdsEitherWayRound() throws {
        let d = try TestSupport.load(profiles: header + "a,peer,en,,,,,\nb,peer,en,,,,,\n", tags: "profile_id,tag\n",
                                     exclusions: "b,a,reason\nb,a,private note\na,b,\nzz,a,\na,a,\n")
        #expect(d.exclusions == [ExclusionPair(0, 1)])
        #expect(rejects(d, file: "exclusions.csv").map(\.line) == [4, 5])
    }

    @Test func rejectReasonsNeverQuoteValues() throws {
        let d = try TestSupport.load(profiles: header + "a,peer,en,,,,,\nsecret-value!,peer,en,,,,,\n",
                                     tags: "profile_id,tag,weight\na,grief,secret-weight\nsecret-id,grief,1\n")
        #expect(d.rejects.count == 3)
        #expect(d.rejects.allSatisfy { !$0.reason.contains("secret") })
    }

    // MARK: fatal problems

    func fatal(_ profiles: String, _ tags: String = "profile_id,tag\n") -> InputError? {
        do {
            _ = try TestSupport.load(profiles: profiles, tags: tags)
            return nil
        } catch {
            return error as? InputError
        }
    }

    @Test func missingRequiredColumnIsFatal() {
        let e = fatal("id,role\na,peer\n")
        #expect(e?.file == "profiles.csv")
        #expect(e?.message.contains("languages") == true)
        #expect(fatal(header + "a,peer,en,,,,,\n", "profile_id,weight\n")?.file == "tags.csv")
    }

    @Test func emptyFileIsFatal() {
        #expect(fatal("")?.message.contains("header") == true)
        #expect(fatal(header + "a,peer,en,,,,,\n", "")?.file == "tags.csv")
    }

    @Test func noValidProfileIsFatal() {
        #expect(fatal(header + "bad id,peer,en,,,,,\n")?.message.contains("no valid profile") == true)
    }

    @Test func repeatedHeaderColumnIsFatal() {
        #expect(fatal("id,role,languages,ID\na,peer,en,b\n")?.message.contains("twice") == true)
    }

    @Test func missingFileIsFatal() {
        #expect(throws: InputError.self) { try InputFile(path: "/nonexistent/profiles.csv") }
    }
}

/// The TOML config (contract §2, "The config file").
@Suite struct ConfigTests {
    @Test func defaults() throws {
        let c = try ConfigLoader.parse("# nothing set\n", file: "k.toml")
        #expect(c == KindredConfig())
        #expect(abs(c.weights.tags + c.weights.availability + c.weights.age + c.weights.region - 1) < 1e-12)
    }

    @Test func everyKey() throws {
        let c = try ConfigLoader.parse("""
            top_k = 25
            group_min = 4   # inline comment
            group_max = 6
            [weights]
            tags = 3
            age = 1.0
            [assignment]
            mode = "coverage"
            """, file: "k.toml")
        #expect(c.assignmentMode == .coverage)
        #expect(c.topK == 25 && c.groupMin == 4 && c.groupMax == 6)
        // Blocks the table does not name get 0; the rest are divided by their sum.
        #expect(c.weights == BlockWeights(tags: 0.75, availability: 0, age: 0.25, region: 0))
    }

    @Test func crlfBOMAndCommentsAreAccepted() throws {
        let c = try ConfigLoader.parse("\u{FEFF}top_k = 7\r\n# note\r\n[weights]\r\ntags = 1\r\n", file: "k.toml")
        #expect(c.topK == 7)
        #expect(c.weights == BlockWeights(tags: 1, availability: 0, age: 0, region: 0))
    }

    @Test(arguments: [
        ("weights.tags = 1", 1), ("colour = 1", 1), ("top_k = 0", 1), ("top_k = \"ten\"", 1), ("\n[weights]\ntags = -1", 3),
        ("[weights]\ntags = 0", nil), ("[weighs]\ntags = 1", 1), ("top_k = 5\ntop_k = 6", 2),
        ("[assignment]\nmode = \"random\"", 2), ("group_min = 9\ngroup_max = 5", nil), ("top_k", 1),
        ("[weights]\ntags = nan", 2),
    ] as [(String, Int?)])
    func badConfigIsAnErrorWithItsLine(text: String, line: Int?) {
        do {
            _ = try ConfigLoader.parse(text, file: "k.toml")
            Issue.record("expected an error for \(text)")
        } catch let e as InputError {
            #expect(e.file == "k.toml")
            #expect(e.line == line)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}

/// SHA-256 (libcrypto) against the FIPS 180-4 examples.
@Suite struct SHA256Tests {
    func digest(_ s: String) -> String {
        let h = SHA256()
        h.update(Array(s.utf8))
        return h.hexDigest()
    }

    @Test func fipsExamples() {
        #expect(digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(digest("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // FIPS 180-2 appendix B.3: one million "a".
        #expect(digest(String(repeating: "a", count: 1_000_000))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func digestLeavesTheHashOpenForMoreInput() {
        let h = SHA256()
        h.update(Array("ab".utf8))
        #expect(h.hexDigest() == digest("ab"))
        h.update(Array("c".utf8))
        #expect(h.hexDigest() == digest("abc"))
    }

    @Test func incrementalEqualsWhole() {
        let text = String(repeating: "kindred peer support ", count: 500)
        let h = SHA256()
        for chunk in Array(text.utf8).chunked(17) { h.update(chunk) }
        #expect(h.hexDigest() == digest(text))
    }
}

extension Array {
    func chunked(_ n: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: n).map { self[$0 ..< Swift.min($0 + n, count)] }
    }
}
