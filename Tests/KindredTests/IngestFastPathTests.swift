import Foundation
import Testing
import KindredCore
@testable import KindredIngest

/// The byte-level fast paths of ingestion (``ByteStringMap``, the tags
/// loader's ASCII path, the profile loader's token-list cache) against
/// straightforward `String` references on random, deliberately awkward input.
@Suite struct IngestFastPathTests {
    @Test func byteStringMapAgreesWithADictionary() {
        var rng = TestSupport.RNG(5)
        var map = ByteStringMap(expectedCount: 4)  // small, so it grows many times
        var reference: [[UInt8]: Int32] = [:]
        for _ in 0 ..< 5000 {
            // Short keys from a small alphabet, so many repeat; lengths cross
            // the 8-byte word boundary of the hash.
            let key = (0 ..< rng.below(20)).map { _ in UInt8(0x61 + rng.below(3)) }
            let found = key.withUnsafeBufferPointer { map.find($0) }
            #expect(found == reference[key])
            let (number, inserted) = key.withUnsafeBufferPointer { map.insert($0) }
            #expect(inserted == (reference[key] == nil))
            if inserted { reference[key] = Int32(reference.count) }
            #expect(number == reference[key])
        }
        #expect(map.count == reference.count)
        #expect(map.count > 1000)
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func tagsLoaderAgreesWithAStringReference(seed: UInt64) throws {
        var rng = TestSupport.RNG(seed)
        let ids = ["a", "b1", "p000001", "p000002", "x.y:z-_", "long-profile-id-0001", "Z"]
        let profiles = "id,role,languages\n" + ids.map { "\($0),peer,en\n" }.joined()
        let idForms: [(String) -> String] = [
            { $0 }, { " \($0)" }, { "\($0)\t" }, { "\u{00A0}\($0)" }, { "\"\($0)\"" }, { "\"\($0) \"" },
        ]
        let tagForms = ["grief", "Grief", "  grief ", "GRIEF", "new  parent", "new\tParent", "\"new parent\"",
                        "\"say \"\"hi\"\"\"", "Trauer", "ÉCOLE", "deuil\u{2003}périnatal", "\u{00A0}école ", "",
                        "   ", String(repeating: "x", count: 64), String(repeating: "y", count: 65),
                        String(repeating: "é", count: 65), "\"a,b\""]
        let weights = ["", "", "2", " 3.5 ", "x", "11", "0", "1e0", "\"4\"", "10"]
        var rows = "Profile_ID,TAG,weight\r\n"
        for _ in 0 ..< 400 {
            let id = rng.chance(0.05) ? (rng.chance(0.5) ? "" : "nobody") : ids[rng.below(ids.count)]
            let form = idForms[rng.below(idForms.count)]
            rows += "\(form(id)),\(tagForms[rng.below(tagForms.count)]),\(weights[rng.below(weights.count)])"
            rows += rng.chance(0.3) ? "\r\n" : "\n"
        }
        // Tags named only on rejected rows (unknown id, empty id, bad weight,
        // which the second thread parses before the ids are known) stay out of
        // the vocabulary.
        rows += "nobody,orphan-one,1\n ,orphan-two,\n\(ids[0]),orphan-three,x\nnobody,,\n"
        let d = try TestSupport.load(profiles: profiles, tags: rows)
        let expected = try referenceTags(rows, ids: d.profiles.map(\.id))
        let loaded = d.profiles.indices.map { p in d.tags[p].map { (d.tagNames[Int($0.tag)], $0.weight) } }
        #expect(loaded.count == expected.tags.count)
        for (got, want) in zip(loaded, expected.tags) {
            #expect(got.map(\.0) == want.map(\.0))
            #expect(got.map(\.1) == want.map(\.1))
        }
        let rejects = d.rejects.filter { $0.file == "tags.csv" }.map { "\($0.line) \($0.column ?? "-") \($0.reason)" }
        #expect(rejects == expected.rejects)
        #expect(!rejects.isEmpty)
        let vocabulary = Set(expected.tags.flatMap { $0.map(\.0) })
        #expect(d.tagNames == vocabulary.sorted(by: TextNormalization.byteOrder))
        #expect(!d.tagNames.contains { $0.hasPrefix("orphan") })
    }

    /// The tags loader as first written: a `String` per field, dictionaries,
    /// sorting per profile. Returns each profile's (tag, weight) list and the
    /// rejects as "line column reason", in line order.
    private func referenceTags(_ text: String, ids: [String]) throws -> (tags: [[(String, Double)]], rejects: [String]) {
        var reader = CSVReader(bytes: Array(text.utf8))
        _ = reader.next()
        let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        var raw = [[(tag: String, weight: Double, line: Int)]](repeating: [], count: ids.count)
        var rejects: [(line: Int, column: String, reason: String)] = []
        while case .success(true) = reader.next() {
            let line = reader.recordLine
            let field = reader.fields.map { reader.string($0) }
            let id = TextNormalization.trimmed(field[0])
            guard let p = index[id] else {
                rejects.append((line, "profile_id", id.isEmpty ? "profile_id is empty" : "unknown profile_id (no valid row in profiles.csv has this id)"))
                continue
            }
            let tag = TextNormalization.normalizedTag(field[1])
            guard !tag.isEmpty else { rejects.append((line, "tag", "tag is empty")); continue }
            guard tag.count <= 64 else { rejects.append((line, "tag", "tag is longer than 64 characters after normalisation")); continue }
            var weight = 1.0
            let w = TextNormalization.trimmed(field[2])
            if !w.isEmpty {
                guard let v = TagLoader.parseDecimal(w) else { rejects.append((line, "weight", "not a number")); continue }
                guard v > 0 && v <= 10 else { rejects.append((line, "weight", "weight must be in (0, 10]")); continue }
                weight = v
            }
            raw[p].append((tag, weight, line))
        }
        var tags: [[(String, Double)]] = []
        for entries in raw {
            let sorted = entries.sorted { a, b in
                if a.tag != b.tag { return TextNormalization.byteOrder(a.tag, b.tag) }
                if a.weight != b.weight { return a.weight > b.weight }
                return a.line < b.line
            }
            var kept: [(String, Double)] = []
            var keptLine = 0
            for e in sorted {
                if kept.last?.0 == e.tag {
                    rejects.append((e.line, "tag", "repeated tag for this profile; line \(keptLine) has the larger weight and is kept"))
                } else {
                    kept.append((e.tag, e.weight))
                    keptLine = e.line
                }
            }
            tags.append(kept)
        }
        rejects.sort { ($0.line, $0.column) < ($1.line, $1.column) }
        return (tags, rejects.map { "\($0.line) \($0.column) \($0.reason)" })
    }

    @Test func tokenListsAreTheSameWhetherCachedOrNot() throws {
        var rng = TestSupport.RNG(9)
        let lists = ["en", "EN;es", " es ; en ;en", "fr", "\"fr;de\"", "\"de;\"\"x\"\"\"", "é;É", "en;;es", "mon-am;Tue-pm"]
        var text = "id,role,languages,availability\n"
        var rowsExpected: [(id: String, languages: [String], availability: [String])] = []
        for i in 0 ..< 300 {
            let l = lists[rng.below(lists.count)], a = lists[rng.below(lists.count)]
            text += "p\(1000 + i),peer,\(l),\(a)\n"
            func unquoted(_ s: String) -> String {
                s.hasPrefix("\"") ? String(s.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"") : s
            }
            rowsExpected.append(("p\(1000 + i)", TextNormalization.tokenList(unquoted(l)), TextNormalization.tokenList(unquoted(a))))
        }
        let d = try TestSupport.load(profiles: text, tags: "profile_id,tag\n")
        let rejected = Set(d.rejects.map(\.line))
        let kept = rowsExpected.enumerated().filter { !rejected.contains($0.offset + 2) }.map(\.element)
        #expect(d.profiles.map(\.id) == kept.map(\.id))
        #expect(d.profiles.map(\.languages) == kept.map(\.languages))
        #expect(d.profiles.map(\.availability) == kept.map(\.availability))
        #expect(d.profiles.count > 200)
    }
}
