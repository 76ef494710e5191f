/// The hard rules of one row class laid out for an 8-lane test, in class
/// order, so the tile kernel can drop disallowed candidates before any
/// scalar work.
///
/// The test never rejects an allowed pair. It is exact unless one of the two
/// rows carries ``exactCheck`` (two languages folded onto one bit, the
/// overflow language bit, exclusions); such pairs are also checked by
/// ``CompiledRules/allows(_:_:)`` before they enter a heap.
///
/// Measured on the dense path at 50,000 people (64 tags), about half the
/// scores that beat a row's threshold were disallowed (mostly by gender
/// preference); each then cost a scalar rule check on every tile.
///
/// - Complexity: O(rows) to build, 12 bytes per row.
struct RuleLanes: Sendable {
    /// The language mask folded to 32 bits (bits b and b + 32 share bit b).
    let language: [UInt32]
    /// Interned gender, 0 when unknown.
    let gender: [Int32]
    /// Bit 0: minor; bit 1: wants the same gender; bit 2 (``exactCheck``):
    /// the test below is not exact for this row.
    let flags: [Int32]

    /// Set for a row with an exclusion or a language beyond the 32 most
    /// common (folded, or behind the overflow bit). A pair where neither row
    /// has it is decided exactly by ``admitted(_:language:gender:flags:)``;
    /// any other pair also goes through ``CompiledRules/allows(_:_:)``.
    static let exactCheck: Int32 = 4
    static let minor = Int32(CompiledRules.minorFlag)
    static let sameGender = Int32(CompiledRules.sameGenderFlag)

    init(rows: [Int32], rules: CompiledRules) {
        language = rows.map { RuleLanes.fold(rules.languageMask[Int($0)]) }
        gender = rows.map { rules.gender[Int($0)] }
        flags = rows.map { p in
            let f = rules.flags[Int(p)]
            var lanes = Int32(f) & (RuleLanes.minor | RuleLanes.sameGender)
            if f & CompiledRules.exclusionFlag != 0 || rules.languageMask[Int(p)] >> 32 != 0 { lanes |= RuleLanes.exactCheck }
            return lanes
        }
    }

    static func fold(_ mask: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: mask) | UInt32(truncatingIfNeeded: mask >> 32)
    }

    /// One query row's side of the test.
    struct Query {
        let language: SIMD8<UInt32>
        /// The query's gender, or -1 when unknown (matches no candidate).
        let gender: SIMD8<Int32>
        let flags: SIMD8<Int32>

        init(_ lanes: RuleLanes, row: Int) {
            language = SIMD8(repeating: lanes.language[row])
            gender = SIMD8(repeating: lanes.gender[row] == 0 ? -1 : lanes.gender[row])
            flags = SIMD8(repeating: lanes.flags[row])
        }
    }

    /// The lanes of 8 consecutive candidates (starting at the given pointers)
    /// that the query may be paired with, as far as this test can tell:
    /// a shared (folded) language, the same side of the safeguarding line, and
    /// the same gender when either side asks for it (rules 3, 4 and 5).
    /// A lane is all ones when admitted, zero when not.
    ///
    /// Written with vector-to-vector comparisons and integer operators only:
    /// in Swift 6.3 `SIMDMask`'s `.&`/`.|` and the comparisons against a
    /// scalar (`v .== 0`) compile lane by lane through memory, which made the
    /// kernel 40% slower; this form is about 25 SSE instructions.
    @inline(__always)
    static func admitted(_ q: Query, language: UnsafePointer<UInt32>, gender: UnsafePointer<Int32>,
                         flags: UnsafePointer<Int32>) -> SIMD8<Int32> {
        let l = UnsafeRawPointer(language).loadUnaligned(as: SIMD8<UInt32>.self)
        let g = UnsafeRawPointer(gender).loadUnaligned(as: SIMD8<Int32>.self)
        let f = UnsafeRawPointer(flags).loadUnaligned(as: SIMD8<Int32>.self)
        let zero = SIMD8<Int32>()
        let noLanguage = vector((l & q.language) .== SIMD8<UInt32>())
        let otherSide = zero &- ((f ^ q.flags) & RuleLanes.minor)  // minor is bit 0
        let genderBound = zero &- ((f | q.flags) &>> 1 & 1)  // sameGender is bit 1
        let otherGender = ~vector(g .== q.gender)
        return ~(noLanguage | otherSide | (genderBound & otherGender))
    }

    /// The same test for one pair: row `i` of `a` and row `j` of `b`.
    static func admits(_ a: RuleLanes, _ i: Int, _ b: RuleLanes, _ j: Int) -> Bool {
        let fi = a.flags[i], fj = b.flags[j]
        guard a.language[i] & b.language[j] != 0, (fi ^ fj) & RuleLanes.minor == 0 else { return false }
        return (fi | fj) & RuleLanes.sameGender == 0 || (a.gender[i] != 0 && a.gender[i] == b.gender[j])
    }

    /// A comparison's mask as an integer vector (all ones or zero per lane).
    @inline(__always)
    static func vector(_ m: SIMDMask<SIMD8<Int32>>) -> SIMD8<Int32> {
        unsafeBitCast(m, to: SIMD8<Int32>.self)
    }

    /// The set lanes of an all-ones-or-zero vector as the low 8 bits of an integer.
    @inline(__always)
    static func bits(_ v: SIMD8<Int32>) -> UInt32 {
        UInt32(truncatingIfNeeded: (v & SIMD8<Int32>(1, 2, 4, 8, 16, 32, 64, 128)).wrappedSum())
    }
}
