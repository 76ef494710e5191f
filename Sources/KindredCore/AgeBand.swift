/// The age bands of contract §1, in increasing age.
public enum AgeBand: Int, Sendable, CaseIterable, Comparable {
    case under18 = 0, from18to24, from25to34, from35to44, from45to54, from55to64, over65

    /// The label used in input files and documentation.
    public var label: String {
        switch self {
        case .under18: "under-18"
        case .from18to24: "18-24"
        case .from25to34: "25-34"
        case .from35to44: "35-44"
        case .from45to54: "45-54"
        case .from55to64: "55-64"
        case .over65: "65+"
        }
    }

    /// Parses a band label case-insensitively after trimming.
    public init?(label text: String) {
        let folded = TextNormalization.caseFolded(TextNormalization.trimmed(text))
        guard let band = AgeBand.allCases.first(where: { $0.label == folded }) else { return nil }
        self = band
    }

    public static func < (a: AgeBand, b: AgeBand) -> Bool { a.rawValue < b.rawValue }

    /// Width of the triangular age kernel, in bands. See ``ageKernel(_:_:)``.
    public static let kernelWidth = 3

    /// The age block's similarity: `max(0, 1 - |a - b| / 3)`, i.e. 1 for the same
    /// band, 2/3 one band apart, 1/3 two apart, 0 further; 0 when either is unknown.
    ///
    /// This kernel is exactly the cosine of two "window" indicator vectors (band i
    /// lies in the 3 windows starting at i-2, i-1, i), which is how the vectoriser
    /// turns it into a dot product.
    public static func ageKernel(_ a: AgeBand?, _ b: AgeBand?) -> Double {
        guard let a, let b else { return 0 }
        let d = abs(a.rawValue - b.rawValue)
        return Double(max(0, kernelWidth - d)) / Double(kernelWidth)
    }
}
