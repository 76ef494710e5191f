import Dispatch
import KindredCore

/// Ingestion: the input files in, one ``Dataset`` out (contract §1).
public enum Ingest {
    /// Loads and validates the three input files.
    ///
    /// Throws ``InputError`` for a fatal problem (missing file, missing column,
    /// bad encoding, no valid profile). Bad rows become ``Dataset/rejects``.
    ///
    /// tags.csv is parsed on a second thread while profiles.csv is read (its
    /// rows are checked against the profiles afterwards), so the two largest
    /// files take the time of the longer one. Errors are reported in file
    /// order: a fatal problem in profiles.csv wins over one in tags.csv.
    public static func load(profiles: InputFile, tags: InputFile, exclusions: InputFile?) throws -> Dataset {
        let parsing = DispatchGroup()
        let parsedTags = ParsedTags()
        DispatchQueue.global().async(group: parsing) {
            parsedTags.result = Result { try TagLoader.parse(tags) }
        }
        defer { parsing.wait() }
        let p = try ProfileLoader.load(profiles)
        guard !p.profiles.isEmpty else {
            throw InputError(file: profiles.path,
                             message: "has no valid profile rows (\(p.rejects.count) rejected)")
        }
        var ids = ByteStringMap(expectedCount: p.profiles.count)
        for profile in p.profiles { _ = ids.insert(profile.id) }  // ids are unique: number = index
        parsing.wait()
        let t = TagLoader.resolve(try parsedTags.result!.get(), profileIDs: ids)
        let e = try exclusions.map { try ExclusionLoader.load($0, profileIDs: ids) }

        var unknown: [(file: String, columns: [String])] = []
        if !p.unknownColumns.isEmpty { unknown.append((profiles.name, p.unknownColumns)) }
        if !t.unknownColumns.isEmpty { unknown.append((tags.name, t.unknownColumns)) }
        if let e, !e.unknownColumns.isEmpty, let file = exclusions { unknown.append((file.name, e.unknownColumns)) }

        // Rejects in file order, then line order, so reports read top to bottom.
        var rejects = p.rejects
        rejects.append(contentsOf: t.rejects.sorted { ($0.line, $0.column ?? "") < ($1.line, $1.column ?? "") })
        rejects.append(contentsOf: e?.rejects ?? [])
        return Dataset(profiles: p.profiles, tags: t.tags, tagNames: t.tagNames,
                       exclusions: e?.pairs ?? [], rejects: rejects, unknownColumns: unknown)
    }
}

/// The tags thread's outcome; read after the group waits.
private final class ParsedTags: @unchecked Sendable {
    var result: Result<TagLoader.Parsed, Error>?
}
