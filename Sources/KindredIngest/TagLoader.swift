import KindredCore

/// Reads tags.csv (contract §1) in two steps: ``parse(_:)`` needs no profiles,
/// so it runs while profiles.csv is read; ``resolve(_:profileIDs:)`` then
/// checks the rows against the loaded profiles.
enum TagLoader {
    static let required = ["profile_id", "tag"]
    static let optional = ["weight"]

    struct Output {
        var tags: [[TagWeight]]
        var tagNames: [String]
        var rejects: [Reject]
        var unknownColumns: [String]
    }

    /// The file read without the profiles, so that it can be read while
    /// profiles.csv is: each row's `profile_id` is numbered among the ids this
    /// file mentions, and checked against the profiles in ``resolve``.
    struct Parsed {
        var file: InputFile
        /// The distinct non-empty trimmed ids, numbered in order of appearance.
        var ids: ByteStringMap
        var tagNames: [String]
        /// One per valid row (its `profile` is a number in `ids`), file order.
        var entries: [Entry]
        /// Rows with a known-looking id and a bad tag or weight: rejected for
        /// that unless the id turns out unknown (the id is checked first).
        var pending: [(id: Int32, reject: Reject)]
        /// Rejects that need no profile: malformed records, empty ids.
        var rejects: [Reject]
        var unknownColumns: [String]
    }

    /// Reads and validates every row except for whether its profile exists.
    /// - Complexity: O(n) in the file size. A row whose id and tag are plain
    ///   ASCII makes no `String` (see ``ByteStringMap``); other rows take the
    ///   general path, with the same result.
    static func parse(_ file: InputFile) throws -> Parsed {
        var table = try CSVTable(file: file, required: required, optional: optional)
        let idColumn = table.column("profile_id"), tagColumn = table.column("tag"), weightColumn = table.column("weight")
        var ids = ByteStringMap(expectedCount: file.bytes.count / 160)
        var interned = ByteStringMap(expectedCount: 1024)
        var names: [String] = []
        var entries: [Entry] = []
        entries.reserveCapacity(file.bytes.count / 16)
        var pending: [(id: Int32, reject: Reject)] = []
        var scratch: [UInt8] = []
        while let line = table.nextRecord() {
            guard let p = idNumber(table, idColumn, &ids) else {
                table.reject("profile_id", "profile_id is empty")
                continue
            }
            func reject(_ column: String, _ reason: String) {
                pending.append((p, Reject(file: file.name, line: line, column: column, reason: reason)))
            }
            let asciiTag = table.withPlainBytes(tagColumn) { bytes -> Bool in
                guard let bytes, TagLoader.normalizeASCII(bytes, into: &scratch) else { return false }
                return true
            }
            if !asciiTag {
                scratch = Array(TextNormalization.normalizedTag(table.value(tagColumn)).utf8)
            }
            // ASCII normal forms have one character per byte; others are rare.
            let characters = asciiTag ? scratch.count : String(decoding: scratch, as: UTF8.self).count
            guard characters > 0 else { reject("tag", "tag is empty"); continue }
            guard characters <= 64 else { reject("tag", "tag is longer than 64 characters after normalisation"); continue }
            var weight = 1.0
            if table.withPlainBytes(weightColumn, { $0?.isEmpty != true }) {
                let weightText = TextNormalization.trimmed(table.value(weightColumn))
                if !weightText.isEmpty {
                    guard let w = parseDecimal(weightText) else { reject("weight", "not a number"); continue }
                    guard w > 0 && w <= 10 else { reject("weight", "weight must be in (0, 10]"); continue }
                    weight = w
                }
            }
            let (t, isNew) = scratch.withUnsafeBufferPointer { interned.insert($0) }
            if isNew { names.append(String(decoding: scratch, as: UTF8.self)) }
            entries.append(Entry(profile: p, tag: t, weight: weight, line: Int32(clamping: line)))
        }
        return Parsed(file: file, ids: ids, tagNames: names, entries: entries, pending: pending,
                      rejects: table.rejects, unknownColumns: table.unknownColumns)
    }

    /// Checks each row's profile against the loaded profiles, then groups the
    /// rows by profile. A tag named only on rejected rows is not in the
    /// vocabulary. The rejects come grouped by kind, not in file order: each
    /// row has at most one, so sorting by (line, column), as ``Ingest`` does,
    /// restores the file order.
    /// - Parameter profileIDs: the valid profiles' ids, numbered by profile index.
    /// - Complexity: O(ids + rows) plus O(t log t) per profile with t tags.
    static func resolve(_ parsed: Parsed, profileIDs: ByteStringMap) -> Output {
        let file = parsed.file
        let profileCount = profileIDs.count
        // This file's id number → profile index, or -1 when no valid profile has it.
        let profileOf = (0 ..< parsed.ids.count).map { n in
            parsed.ids.withBytes(of: n) { profileIDs.find($0) } ?? -1
        }
        let unknownReason = "unknown profile_id (no valid row in profiles.csv has this id)"
        var rejects = parsed.rejects
        for (id, reject) in parsed.pending {
            rejects.append(profileOf[Int(id)] >= 0 ? reject
                : Reject(file: file.name, line: reject.line, column: "profile_id", reason: unknownReason))
        }
        // First pass: reject rows of unknown ids, mark the tags in use and
        // count each profile's rows.
        var used = [Bool](repeating: false, count: parsed.tagNames.count)
        var start = [Int](repeating: 0, count: profileCount + 1)
        for e in parsed.entries {
            let p = profileOf[Int(e.profile)]
            guard p >= 0 else {
                rejects.append(Reject(file: file.name, line: Int(e.line), column: "profile_id", reason: unknownReason))
                continue
            }
            used[Int(e.tag)] = true
            start[Int(p) + 1] += 1
        }
        // Tag index order = byte order of the names, so every output is
        // independent of the order rows arrived in.
        let names = parsed.tagNames
        let order = names.indices.filter { used[$0] }.sorted { TextNormalization.byteOrder(names[$0], names[$1]) }
        var remap = [Int32](repeating: -1, count: names.count)
        for (newIndex, old) in order.enumerated() { remap[old] = Int32(newIndex) }
        let sortedNames = order.map { names[$0] }

        // Second pass: group the rows by profile, a counting sort straight
        // from the parsed rows (stable: file order within a profile; no
        // intermediate copy of the valid rows, which at a million people was
        // 190 MB of fresh pages), then per profile by tag; within a tag, the
        // larger weight first, then the earlier line.
        for p in 0 ..< profileCount { start[p + 1] += start[p] }
        var next = start
        var grouped = [Entry](repeating: Entry(profile: 0, tag: 0, weight: 0, line: 0), count: start[profileCount])
        for var e in parsed.entries {
            let p = profileOf[Int(e.profile)]
            guard p >= 0 else { continue }
            e.profile = p
            e.tag = remap[Int(e.tag)]
            grouped[next[Int(p)]] = e
            next[Int(p)] += 1
        }
        var tags = [[TagWeight]](repeating: [], count: profileCount)
        for p in 0 ..< profileCount where start[p] < start[p + 1] {
            // Sorted in place (a `var` copy of the slice would copy it).
            grouped[start[p] ..< start[p + 1]].sort { a, b in
                if a.tag != b.tag { return a.tag < b.tag }
                if a.weight != b.weight { return a.weight > b.weight }
                return a.line < b.line
            }
            var kept: [TagWeight] = []
            kept.reserveCapacity(start[p + 1] - start[p])
            var keptLine: Int32 = 0
            for e in grouped[start[p] ..< start[p + 1]] {
                if let last = kept.last, last.tag == e.tag {
                    rejects.append(Reject(file: file.name, line: Int(e.line), column: "tag",
                        reason: "repeated tag for this profile; line \(keptLine) has the larger weight and is kept"))
                } else {
                    kept.append(TagWeight(tag: e.tag, weight: e.weight))
                    keptLine = e.line
                }
            }
            tags[p] = kept
        }
        return Output(tags: tags, tagNames: sortedNames, rejects: rejects, unknownColumns: parsed.unknownColumns)
    }

    struct Entry {
        var profile: Int32
        var tag: Int32
        var weight: Double
        var line: Int32
    }

    /// The number among `ids` of the current row's trimmed `profile_id`
    /// (inserted if new), or `nil` when it is empty.
    private static func idNumber(_ table: CSVTable, _ column: CSVTable.Column, _ ids: inout ByteStringMap) -> Int32? {
        // Fast path: the bytes need no trimming (first and last are ASCII and
        // not white space), so they are the trimmed id.
        let fast: Int32?? = table.withPlainBytes(column) { bytes in
            guard let bytes, let first = bytes.first, let last = bytes.last, first < 0x80, last < 0x80,
                  !TextNormalization.isASCIISpace(first), !TextNormalization.isASCIISpace(last) else { return .none }
            return .some(ids.insert(bytes).number)
        }
        if let fast { return fast }
        let id = TextNormalization.trimmed(table.value(column))
        return id.isEmpty ? nil : ids.insert(id).number
    }

    /// ``TextNormalization/normalizedTag(_:)`` on ASCII bytes, written into
    /// `out`; `false` (and `out` unspecified) when a byte is not ASCII.
    static func normalizeASCII(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        out.removeAll(keepingCapacity: true)
        var pendingSpace = false
        for b in bytes {
            guard b < 0x80 else { return false }
            if TextNormalization.isASCIISpace(b) {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(UInt8(ascii: "-")) }
                pendingSpace = false
                out.append((0x41 ... 0x5A).contains(b) ? b + 0x20 : b)
            }
        }
        return true
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
    static func load(_ file: InputFile, profileIDs: ByteStringMap) throws -> Output {
        var table = try CSVTable(file: file, required: required, optional: optional)
        var pairs = Set<ExclusionPair>()
        while table.nextRecord() != nil {
            let a = TextNormalization.trimmed(table.value("a"))
            let b = TextNormalization.trimmed(table.value("b"))
            guard let ia = profileIDs.find(a) else {
                table.reject("a", a.isEmpty ? "id is empty" : "unknown profile id")
                continue
            }
            guard let ib = profileIDs.find(b) else {
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
