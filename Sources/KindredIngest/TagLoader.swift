import KindredCore

/// Reads tags.csv against the loaded profiles (contract §1).
enum TagLoader {
    static let required = ["profile_id", "tag"]
    static let optional = ["weight"]

    struct Output {
        var tags: [[TagWeight]]
        var tagNames: [String]
        var rejects: [Reject]
        var unknownColumns: [String]
    }

    /// - Complexity: O(n) in the file size plus O(t log t) per profile with t tags.
    static func load(_ file: InputFile, profileIndex: [String: Int32], profileCount: Int) throws -> Output {
        var table = try CSVTable(file: file, required: required, optional: optional)
        var interned: [String: Int32] = [:]
        var names: [String] = []
        // Per profile: (provisional tag id, weight, line), de-duplicated below.
        var raw = [[(tag: Int32, weight: Double, line: Int)]](repeating: [], count: profileCount)
        while let line = table.nextRecord() {
            let id = TextNormalization.trimmed(table.value("profile_id"))
            guard let p = profileIndex[id] else {
                table.reject("profile_id", id.isEmpty ? "profile_id is empty" : "unknown profile_id (no valid row in profiles.csv has this id)")
                continue
            }
            let tag = TextNormalization.normalizedTag(table.value("tag"))
            guard !tag.isEmpty else { table.reject("tag", "tag is empty"); continue }
            guard tag.count <= 64 else { table.reject("tag", "tag is longer than 64 characters after normalisation"); continue }
            var weight = 1.0
            let weightText = TextNormalization.trimmed(table.value("weight"))
            if !weightText.isEmpty {
                guard let w = parseDecimal(weightText) else { table.reject("weight", "not a number"); continue }
                guard w > 0 && w <= 10 else { table.reject("weight", "weight must be in (0, 10]"); continue }
                weight = w
            }
            let t: Int32
            if let existing = interned[tag] {
                t = existing
            } else {
                t = Int32(names.count)
                interned[tag] = t
                names.append(tag)
            }
            raw[Int(p)].append((t, weight, line))
        }
        var rejects = table.rejects
        // Tag index order = byte order of the names, so every output is
        // independent of the order rows arrived in.
        let order = names.indices.sorted { TextNormalization.byteOrder(names[$0], names[$1]) }
        var remap = [Int32](repeating: 0, count: names.count)
        for (newIndex, old) in order.enumerated() { remap[old] = Int32(newIndex) }
        let sortedNames = order.map { names[$0] }

        var tags = [[TagWeight]](repeating: [], count: profileCount)
        for p in 0 ..< profileCount where !raw[p].isEmpty {
            // Group by tag; within a tag, the larger weight first, then the earlier line.
            typealias Entry = (tag: Int32, weight: Double, line: Int)
            var entries: [Entry] = raw[p].map { e -> Entry in (remap[Int(e.tag)], e.weight, e.line) }
            entries.sort { (a: Entry, b: Entry) -> Bool in
                if a.tag != b.tag { return a.tag < b.tag }
                if a.weight != b.weight { return a.weight > b.weight }
                return a.line < b.line
            }
            var kept: [TagWeight] = []
            var keptLine = 0
            for e in entries {
                if let last = kept.last, last.tag == e.tag {
                    rejects.append(Reject(file: file.name, line: e.line, column: "tag",
                        reason: "repeated tag for this profile; line \(keptLine) has the larger weight and is kept"))
                } else {
                    kept.append(TagWeight(tag: e.tag, weight: e.weight))
                    keptLine = e.line
                }
            }
            tags[p] = kept
        }
        return Output(tags: tags, tagNames: sortedNames, rejects: rejects, unknownColumns: table.unknownColumns)
    }

    /// A finite decimal number (digits, sign, point, exponent); no `inf`, `nan` or hex.
    static func parseDecimal(_ s: String) -> Double? {
        guard s.utf8.allSatisfy({ b in
            (0x30 ... 0x39).contains(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
                || b == UInt8(ascii: "+") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
        }), let v = Double(s), v.isFinite else { return nil }
        return v
    }
}

/// Reads exclusions.csv (contract §1).
enum ExclusionLoader {
    static let required = ["a", "b"]
    static let optional = ["reason"]

    struct Output {
        var pairs: [ExclusionPair]
        var rejects: [Reject]
        var unknownColumns: [String]
    }

    /// The `reason` column is recognised so it is not reported as unknown, but it
    /// is never read: it is free text about real people and is never exported.
    static func load(_ file: InputFile, profileIndex: [String: Int32]) throws -> Output {
        var table = try CSVTable(file: file, required: required, optional: optional)
        var pairs = Set<ExclusionPair>()
        while table.nextRecord() != nil {
            let a = TextNormalization.trimmed(table.value("a"))
            let b = TextNormalization.trimmed(table.value("b"))
            guard let ia = profileIndex[a] else {
                table.reject("a", a.isEmpty ? "id is empty" : "unknown profile id")
                continue
            }
            guard let ib = profileIndex[b] else {
                table.reject("b", b.isEmpty ? "id is empty" : "unknown profile id")
                continue
            }
            guard ia != ib else {
                table.reject("b", "a profile cannot be excluded from itself")
                continue
            }
            pairs.insert(ExclusionPair(ia, ib))
        }
        return Output(pairs: pairs.sorted(), rejects: table.rejects, unknownColumns: table.unknownColumns)
    }
}
