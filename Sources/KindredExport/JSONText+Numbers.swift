import KindredCore

/// Numbers as JSON text, byte for byte what the first writer produced with
/// `String(Int64(v))` and `"\(v)"` (Swift's shortest round-trip decimal), but
/// rendered straight into the buffer: the ~500,000 scores of a 50k run no
/// longer each build a `String`.
extension JSONText {
    /// A score as the shortest decimal that reads back as the rounded value.
    ///
    /// A score is a whole number of millionths, and `Double(micro) / 1e6` is
    /// the double nearest `micro / 1e6`. Any other decimal with at most six
    /// fractional digits is at least 1e-6 away, far more than the double's
    /// spacing, so the shortest decimal that reads back is `micro / 1e6` itself
    /// with trailing zeros dropped, which is what is written here. Whole
    /// numbers and magnitudes below 1e-4 (which Swift writes as `1e-05`) take
    /// the general path. `ScoreTextTests` checks every micro value in ±3·10⁶
    /// against the general path.
    /// - Complexity: O(1).
    mutating func score(_ s: Score) {
        let micro = Int(s.micro)
        let magnitude = micro.magnitude
        guard magnitude >= 100, magnitude % 1_000_000 != 0 else { return number(s.value) }
        if micro < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(magnitude / 1_000_000)
        bytes.append(UInt8(ascii: "."))
        var fraction = magnitude % 1_000_000, width = 6
        while fraction % 10 == 0 { fraction /= 10; width -= 1 }
        // `width` digits, zero-padded on the left: 0.05 is fraction 5, width 2.
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { d in
            for k in stride(from: width - 1, through: 0, by: -1) {
                d[k] = UInt8(ascii: "0") + UInt8(fraction % 10)
                fraction /= 10
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: d[..<width]))
        }
    }

    /// Whole numbers as integers, non-finite values as `null`, anything else
    /// as Swift's `description` (rare here: metrics and config values).
    mutating func number(_ v: Double) {
        guard v.isFinite else { return raw("null") }
        if v == v.rounded(), abs(v) < 1e15 {
            number(Int(v))
        } else {
            bytes.append(contentsOf: v.description.utf8)
        }
    }

    mutating func number(_ v: Int) {
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(v.magnitude)
    }

    /// The decimal digits of `v`, no sign, no leading zeros ("0" for zero).
    @inline(__always) private mutating func appendDigits(_ v: UInt) {
        guard v >= 10 else { return bytes.append(UInt8(ascii: "0") + UInt8(v)) }
        // 20 digits hold any UInt64.
        var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &buffer) { d in
            var n = v, start = 24
            while n > 0 {
                start -= 1
                d[start] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: d[start...]))
        }
    }
}
