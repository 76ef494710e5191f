import KindredCore

/// Reads the optional current-decisions file (`--current`): the pairings and
/// group memberships in place today, which the run keeps unless a rule now
/// forbids them (see docs/Formats.md, "current.csv").
///
/// Columns: `kind` (`support`, `peer` or `group`), `profile_id`, and
/// `partner_id` (for support: the supporter; for peer: the other peer) or
/// `group_id` (for group: any label the coordinator uses for the group).
public enum IncumbencyLoader {
    static let required = ["kind", "profile_id"]
    static let optional = ["partner_id", "group_id"]

    /// - Complexity: O(file size).
    /// Returns the decisions, the rejected rows and the unknown column names.
    public static func load(_ file: InputFile, profileIndex: [String: Int32]) throws -> (Incumbency, [Reject], unknownColumns: [String]) {
        var table = try CSVTable(file: file, required: required, optional: optional)
        var result = Incumbency()
        while let line = table.nextRecord() {
            let kind = TextNormalization.caseFolded(TextNormalization.trimmed(table.value("kind")))
            guard let p = profileIndex[TextNormalization.trimmed(table.value("profile_id"))] else {
                table.reject("profile_id", "unknown profile id")
                continue
            }
            switch kind {
            case "support", "peer":
                guard let q = profileIndex[TextNormalization.trimmed(table.value("partner_id"))] else {
                    table.reject("partner_id", "unknown profile id")
                    continue
                }
                guard p != q else { table.reject("partner_id", "a profile cannot be paired with itself"); continue }
                result.pairs.append(Incumbency.Pair(kind: kind == "support" ? .support : .peer, a: p, b: q, line: line))
            case "group":
                let label = TextNormalization.trimmed(table.value("group_id"))
                guard !label.isEmpty else { table.reject("group_id", "group_id is empty"); continue }
                result.groups[label, default: []].append(p)
            default:
                table.reject("kind", "expected support, peer or group")
            }
        }
        return (result, table.rejects, table.unknownColumns)
    }
}
