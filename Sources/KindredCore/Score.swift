/// A score rounded to 6 decimals, held as an integer number of millionths.
///
/// The contract ranks by the rounded score, so ranking code compares these
/// integers: exact, and free of float ties that depend on the platform.
public struct Score: Sendable, Hashable, Comparable {
    public var micro: Int32

    @inlinable public init(micro: Int32) { self.micro = micro }

    /// Rounds to the nearest millionth, halves away from zero.
    @inlinable public init(_ value: Double) {
        micro = Int32((value * 1_000_000).rounded(.toNearestOrAwayFromZero))
    }

    /// The rounded value, as stored in the exports.
    @inlinable public var value: Double { Double(micro) / 1_000_000 }

    @inlinable public static func < (a: Score, b: Score) -> Bool { a.micro < b.micro }
}
