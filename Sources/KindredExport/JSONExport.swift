import KindredCore

/// The JSON export of contract §7: one document, keys sorted, byte-identical
/// for identical inputs and config apart from the two `run` timestamps.
///
/// Top-level arrays put one element per line so the file diffs and greps well;
/// that whitespace is fixed, so it does not break byte-identity.
public enum JSONExport {
    public static let schemaVersion = 1

    /// Renders the whole document in memory. - Complexity: O(output size).
    public static func render(_ r: RunReport) -> [UInt8] {
        var out: [UInt8] = []
        render(r) { out.append(contentsOf: $0) }
        return out
    }

    /// Renders the document in pieces of about 1 MiB, in order, to `sink`.
    /// - Complexity: O(output size) time, O(1 MiB + one list) memory.
    public static func render(_ r: RunReport, to sink: @escaping (ArraySlice<UInt8>) -> Void) {
        // Every id and tag escaped and quoted once; rows copy the bytes.
        let ids = TextTable.jsonQuoted(r.dataset.profiles.map(\.id))
        let tags = TextTable.jsonQuoted(r.dataset.tagNames)
        defer { withExtendedLifetime((ids, tags)) {} }
        var shared = SharedTags.Reader(r.sharedTags)
        var j = JSONText(reserving: 1 << 21)
        j.sink = sink
        defer { j.flush() }
        j.raw("{\n")

        j.key("assignments"); j.raw("[")
        for (n, a) in r.assignments.enumerated() {
            j.flushIfLarge(); j.raw(n == 0 ? "\n" : ",\n")
            j.raw("{"); j.key("kind"); j.string(a.kind.rawValue)
            j.raw(","); j.key("partner_id"); j.append(ids[Int(a.partner)])
            j.raw(","); j.key("profile_id"); j.append(ids[Int(a.profile)])
            j.raw(","); j.key("score"); j.score(a.score); j.raw("}")
        }
        j.raw(r.assignments.isEmpty ? "],\n" : "\n],\n")

        j.key("groups"); j.raw("[")
        for (n, g) in r.groups.enumerated() {
            j.flushIfLarge(); j.raw(n == 0 ? "\n" : ",\n")
            j.raw("{"); j.key("cohesion"); j.score(g.cohesion)
            j.raw(","); j.key("group_id"); j.number(g.id)
            j.raw(","); j.key("kind"); j.string(g.kind.rawValue)
            j.raw(","); j.key("language"); j.string(g.language)
            j.raw(","); j.key("member_fit"); j.raw("[")
            for (n, f) in g.fit.enumerated() {
                if n > 0 { j.raw(",") }
                j.score(f)
            }
            j.raw("]")
            j.raw(","); j.key("members"); j.raw("[")
            for (n, m) in g.members.enumerated() {
                if n > 0 { j.raw(",") }
                j.append(ids[Int(m)])
            }
            j.raw("]")
            j.raw(","); j.key("size"); j.number(g.members.count)
            j.raw(","); j.key("theme"); j.stringArray(g.theme); j.raw("}")
        }
        j.raw(r.groups.isEmpty ? "],\n" : "\n],\n")

        j.key("incumbency"); j.raw("[")
        for (n, o) in r.incumbency.enumerated() {
            j.flushIfLarge(); j.raw(n == 0 ? "\n" : ",\n")
            j.raw("{"); j.key("group_id")
            if let g = o.groupID { j.number(g) } else { j.raw("null") }
            j.raw(","); j.key("group_label")
            if let l = o.groupLabel { j.string(l) } else { j.raw("null") }
            j.raw(","); j.key("kept"); j.raw(o.kept ? "true" : "false")
            j.raw(","); j.key("kind"); j.string(o.kind.rawValue)
            j.raw(","); j.key("partner_id")
            if let p = o.partner { j.append(ids[Int(p)]) } else { j.raw("null") }
            j.raw(","); j.key("profile_id"); j.append(ids[Int(o.profile)])
            j.raw(","); j.key("reason"); j.string(o.reason); j.raw("}")
        }
        j.raw(r.incumbency.isEmpty ? "],\n" : "\n],\n")

        j.key("matches"); j.raw("[")
        var first = true
        for i in 0 ..< r.matches.profileCount {
            let list = r.matches.candidates(of: i)
            guard !list.isEmpty else { continue }
            j.flushIfLarge(); j.raw(first ? "\n" : ",\n")
            first = false
            j.raw("{"); j.key("candidates"); j.raw("[")
            for (n, c) in list.enumerated() {
                if n > 0 { j.raw(",") }
                // The hottest loop (one pass per `matches` row): keys written
                // as literals together with the syntax around them.
                j.raw("{\"id\":"); j.append(ids[Int(c.index)])
                j.raw(",\"score\":"); j.score(c.score)
                j.raw(",\"shared_tags\":"); JSONText.appendArray(shared.of(list.startIndex + n), of: tags, to: &j.bytes)
                j.raw("}")
            }
            j.raw("],"); j.key("profile_id"); j.append(ids[i]); j.raw("}")
        }
        j.raw(first ? "],\n" : "\n],\n")

        j.key("rejects"); j.raw("[")
        for (n, x) in r.dataset.rejects.enumerated() {
            j.flushIfLarge(); j.raw(n == 0 ? "\n" : ",\n")
            j.raw("{"); j.key("column")
            if let c = x.column { j.string(c) } else { j.raw("null") }
            j.raw(","); j.key("file"); j.string(x.file)
            j.raw(","); j.key("line"); j.number(x.line)
            j.raw(","); j.key("reason"); j.string(x.reason); j.raw("}")
        }
        j.raw(r.dataset.rejects.isEmpty ? "],\n" : "\n],\n")

        j.key("run"); j.raw("{")
        j.key("engine_version"); j.string(r.engineVersion)
        j.raw(","); j.key("finished_at"); j.string(r.finishedAt)
        j.raw(","); j.key("input_sha256"); j.string(r.inputSHA256)
        j.raw(","); j.key("metrics"); j.raw("{")
        for (n, m) in r.metrics.sorted(by: { $0.name < $1.name }).enumerated() {
            if n > 0 { j.raw(",") }
            j.dynamicKey(m.name); j.number(m.value)
        }
        j.raw("}")
        j.raw(","); j.key("profiles"); j.number(r.profileCount)
        j.raw(","); j.key("rejected_rows"); j.number(r.rejectedRows)
        j.raw(","); j.key("started_at"); j.string(r.startedAt)
        j.raw("},\n")

        j.key("schema_version"); j.number(schemaVersion); j.raw(",\n")

        j.key("unmatched"); j.raw("[")
        for (n, u) in r.unmatched.enumerated() {
            j.flushIfLarge(); j.raw(n == 0 ? "\n" : ",\n")
            j.raw("{"); j.key("profile_id"); j.append(ids[Int(u.profile)])
            j.raw(","); j.key("reason"); j.string(u.reason)
            j.raw(","); j.key("stage"); j.string(u.stage.rawValue); j.raw("}")
        }
        j.raw(r.unmatched.isEmpty ? "]\n" : "\n]\n")
        j.raw("}\n")
    }
}
