/// The part a person plays in the programme (contract §1, `role`).
public enum Role: String, Sendable, CaseIterable, Comparable {
    case peer, supporter, seeker

    /// Parses a role case-insensitively after trimming; `nil` for anything else.
    public init?(parsing text: String) {
        self.init(rawValue: TextNormalization.caseFolded(TextNormalization.trimmed(text)))
    }

    /// The role a person of this role is paired with (hard rule 2).
    public var partnerRole: Role {
        switch self {
        case .peer: .peer
        case .supporter: .seeker
        case .seeker: .supporter
        }
    }

    public static func < (a: Role, b: Role) -> Bool { a.rawValue < b.rawValue }
}

/// How a person wants their partner's gender to relate to theirs (contract §1).
public enum GenderPreference: String, Sendable {
    case any, same
}
