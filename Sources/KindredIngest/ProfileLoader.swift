import KindredCore

/// Reads profiles.csv into validated ``Profile`` values (contract §1).
enum ProfileLoader {
    static let required = ["id", "role", "languages"]
    static let optional = ["age_band", "availability", "region", "gender", "gender_preference", "capacity", "active"]

    struct Output {
        var profiles: [Profile]
        var rejects: [Reject]
        var unknownColumns: [String]
    }

    /// - Complexity: O(n) in the file size, plus O(p log p) to sort p profiles by id.
    static func load(_ file: InputFile) throws -> Output {
        var table = try CSVTable(file: file, required: required, optional: optional)
        let column = Columns(table)
        var profiles: [Profile] = []
        var firstLine: [String: Int] = [:]
        var languageLists = TokenListCache(), availabilityLists = TokenListCache()
        while let line = table.nextRecord() {
            let id = TextNormalization.trimmed(table.value(column.id))
            guard Validation.isValidID(id) else {
                table.reject("id", id.isEmpty ? "id is empty" : "id must be 1-64 characters from A-Z a-z 0-9 . _ : -")
                continue
            }
            // The later of two rows with one id is the reject, whether or not
            // the earlier row was valid (contract §1).
            if let first = firstLine[id] {
                table.reject("id", "duplicate id (first used on line \(first))")
                continue
            }
            firstLine[id] = line
            guard let role = Role(parsing: table.value(column.role)) else {
                table.reject("role", "unknown role: expected peer, supporter or seeker")
                continue
            }
            let languages = languageLists.tokens(table, column.languages)
            guard !languages.isEmpty else {
                table.reject("languages", "at least one language code is required")
                continue
            }
            guard languages.allSatisfy(Validation.isValidLanguageCode) else {
                table.reject("languages", "language codes are letters, digits, '-' or '_' (up to 35 characters), separated by ';'")
                continue
            }
            var ageBand: AgeBand?
            let ageText = TextNormalization.trimmed(table.value(column.ageBand))
            if !ageText.isEmpty {
                guard let band = AgeBand(label: ageText) else {
                    table.reject("age_band", "unknown age band: expected under-18, 18-24, 25-34, 35-44, 45-54, 55-64, 65+ or empty")
                    continue
                }
                ageBand = band
            }
            var preference = GenderPreference.any
            let prefText = TextNormalization.caseFolded(TextNormalization.trimmed(table.value(column.genderPreference)))
            if !prefText.isEmpty {
                guard let p = GenderPreference(rawValue: prefText) else {
                    table.reject("gender_preference", "expected 'any' or 'same'")
                    continue
                }
                preference = p
            }
            var capacity = 1
            if role == .supporter {
                let text = TextNormalization.trimmed(table.value(column.capacity))
                if !text.isEmpty {
                    guard let c = Int(text), (0 ... 1000).contains(c), text.allSatisfy(\.isASCII) else {
                        table.reject("capacity", "capacity must be a whole number from 0 to 1000")
                        continue
                    }
                    capacity = c
                }
            }
            var active = true
            let activeText = TextNormalization.caseFolded(TextNormalization.trimmed(table.value(column.active)))
            if !activeText.isEmpty {
                switch activeText {
                case "true", "yes", "1": active = true
                case "false", "no", "0": active = false
                default:
                    table.reject("active", "expected true, false, yes, no, 1 or 0")
                    continue
                }
            }
            let region = TextNormalization.caseFolded(TextNormalization.trimmed(table.value(column.region)))
            let gender = TextNormalization.caseFolded(TextNormalization.trimmed(table.value(column.gender)))
            profiles.append(Profile(
                id: id, role: role, languages: languages, ageBand: ageBand,
                availability: availabilityLists.tokens(table, column.availability),
                region: region.isEmpty ? nil : region,
                gender: gender.isEmpty ? nil : gender,
                genderPreference: preference, capacity: capacity, active: active, line: line))
        }
        profiles.sort { TextNormalization.byteOrder($0.id, $1.id) }
        return Output(profiles: profiles, rejects: table.rejects, unknownColumns: table.unknownColumns)
    }
}

extension ProfileLoader {
    /// The known columns, resolved once per file.
    private struct Columns {
        let id, role, languages, ageBand, availability, region, gender, genderPreference, capacity, active: CSVTable.Column

        init(_ t: CSVTable) {
            id = t.column("id"); role = t.column("role"); languages = t.column("languages")
            ageBand = t.column("age_band"); availability = t.column("availability"); region = t.column("region")
            gender = t.column("gender"); genderPreference = t.column("gender_preference")
            capacity = t.column("capacity"); active = t.column("active")
        }
    }

    /// ``TextNormalization/tokenList(_:)`` of a column, remembered by the
    /// field's bytes: most rows repeat a language list or availability pattern
    /// that an earlier row had, and then the list (and its storage) is shared
    /// instead of split, folded and sorted again.
    ///
    /// - Complexity: O(field length) per row on a hit; memory O(distinct fields).
    private struct TokenListCache {
        private var seen = ByteStringMap(expectedCount: 256)
        private var lists: [[String]] = []

        mutating func tokens(_ table: CSVTable, _ column: CSVTable.Column) -> [String] {
            let cached: Int32? = table.withPlainBytes(column) { bytes in
                guard let bytes else { return nil }
                let (n, inserted) = seen.insert(bytes)
                if inserted { lists.append(TextNormalization.tokenList(String(decoding: bytes, as: UTF8.self))) }
                return n
            }
            if let cached { return lists[Int(cached)] }
            return TextNormalization.tokenList(table.value(column))
        }
    }
}

/// Field-level checks shared by the loaders.
enum Validation {
    /// 1–64 characters from `A-Z a-z 0-9 . _ : -` (contract §1).
    static func isValidID(_ s: String) -> Bool {
        let u = s.utf8
        guard (1 ... 64).contains(u.count) else { return false }
        return u.allSatisfy { b in
            (0x30 ... 0x39).contains(b) || (0x41 ... 0x5A).contains(b) || (0x61 ... 0x7A).contains(b)
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: ":") || b == UInt8(ascii: "-")
        }
    }

    static func isValidLanguageCode(_ s: String) -> Bool {
        let u = s.utf8
        guard (1 ... 35).contains(u.count) else { return false }
        return u.allSatisfy { b in
            (0x30 ... 0x39).contains(b) || (0x61 ... 0x7A).contains(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: "_")
        }
    }
}
