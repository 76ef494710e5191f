/// One valid row of profiles.csv, normalised (contract §1).
public struct Profile: Sendable, Equatable {
    /// Unique id, 1–64 characters from `A-Z a-z 0-9 . _ : -`.
    public var id: String
    public var role: Role
    /// Case-folded language codes, sorted in byte order, at least one.
    public var languages: [String]
    /// `nil` when unknown.
    public var ageBand: AgeBand?
    /// Case-folded availability tokens, sorted, unique.
    public var availability: [String]
    /// Case-folded region token; `nil` when empty.
    public var region: String?
    /// Trimmed, case-folded gender; `nil` when empty.
    public var gender: String?
    public var genderPreference: GenderPreference
    /// Seekers a supporter takes; 1 unless given (read for supporters only).
    public var capacity: Int
    public var active: Bool
    /// The physical line (1-based) where the row starts in profiles.csv.
    public var line: Int

    public init(id: String, role: Role, languages: [String], ageBand: AgeBand? = nil,
                availability: [String] = [], region: String? = nil, gender: String? = nil,
                genderPreference: GenderPreference = .any, capacity: Int = 1,
                active: Bool = true, line: Int = 0) {
        self.id = id
        self.role = role
        self.languages = languages
        self.ageBand = ageBand
        self.availability = availability
        self.region = region
        self.gender = gender
        self.genderPreference = genderPreference
        self.capacity = capacity
        self.active = active
        self.line = line
    }

    /// Whether the safeguarding rule treats this profile as a minor.
    @inlinable public var isMinor: Bool { ageBand == .under18 }
}

/// One tag of one profile, after normalisation and de-duplication.
public struct TagWeight: Sendable, Equatable {
    /// Index into ``Dataset/tagNames``.
    public var tag: Int32
    /// The tag's weight, in (0, 10].
    public var weight: Double

    public init(tag: Int32, weight: Double) {
        self.tag = tag
        self.weight = weight
    }
}
