/// String normalisation shared by ingestion and tests, with no Foundation.
public enum TextNormalization {
    /// ASCII white space: space, tab, LF, VT, FF, CR.
    @inline(__always)
    public static func isASCIISpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09 ... 0x0D).contains(b) }

    /// Removes leading and trailing Unicode white space (including NBSP).
    public static func trimmed(_ s: String) -> String {
        // ASCII fast path: most fields are plain ASCII and need no trimming.
        let u = s.utf8
        if let first = u.first, let last = u.last, first < 0x80, last < 0x80 {
            if !isASCIISpace(first) && !isASCIISpace(last) { return s }
        } else if u.isEmpty {
            return s
        }
        let scalars = s.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }

    /// Case-folds for comparison. Swift's `lowercased()` applies Unicode's full
    /// lower-case mapping, which is what we compare genders, roles and tags by.
    public static func caseFolded(_ s: String) -> String {
        // ASCII fast path: most fields are plain ASCII.
        if s.utf8.allSatisfy({ $0 < 0x80 && !(0x41...0x5A).contains($0) }) { return s }
        return s.lowercased()
    }

    /// Normalises a tag: trimmed, case-folded, runs of white space become one `-`.
    public static func normalizedTag(_ s: String) -> String {
        // ASCII fast path: bytes, no Unicode property look-ups.
        if s.utf8.allSatisfy({ $0 < 0x80 }) {
            var out: [UInt8] = []
            out.reserveCapacity(s.utf8.count)
            var pendingSpace = false
            for b in s.utf8 {
                if isASCIISpace(b) {
                    pendingSpace = !out.isEmpty
                } else {
                    if pendingSpace { out.append(UInt8(ascii: "-")) }
                    pendingSpace = false
                    out.append((0x41 ... 0x5A).contains(b) ? b + 0x20 : b)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
        let folded = caseFolded(trimmed(s))
        var out = String.UnicodeScalarView()
        var inSpace = false
        for scalar in folded.unicodeScalars {
            if scalar.properties.isWhitespace {
                inSpace = true
            } else {
                if inSpace { out.append("-") }
                inSpace = false
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// Splits a `;`-separated list, trims and case-folds each item, drops empty
    /// items and duplicates, and returns the items sorted in byte order.
    public static func tokenList(_ s: String) -> [String] {
        var items: [String] = []
        for part in s.split(separator: ";", omittingEmptySubsequences: false) {
            let item = caseFolded(trimmed(String(part)))
            if !item.isEmpty { items.append(item) }
        }
        return sortedUnique(items)
    }

    /// Sorts strings in byte (UTF-8) order and removes duplicates.
    public static func sortedUnique(_ items: [String]) -> [String] {
        var sorted = items.sorted(by: byteOrder)
        var w = 0
        for r in sorted.indices where r == 0 || sorted[r] != sorted[w - 1] {
            sorted[w] = sorted[r]
            w += 1
        }
        sorted.removeLast(sorted.count - w)
        return sorted
    }

    /// Byte-order (UTF-8 code unit) comparison: the ranking's tie-break order.
    @inlinable
    public static func byteOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
