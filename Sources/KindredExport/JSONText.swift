import KindredCore

/// A minimal JSON byte builder. Callers write keys in sorted order; the
/// writer's test re-parses the output and checks that every object's keys are
/// sorted, so a key added out of order fails the tests.
///
/// Numbers are rendered in `JSONText+Numbers.swift`; strings that repeat on
/// many rows (ids, tag names) are escaped once into a ``TextTable`` and copied
/// with ``append(_:)``.
struct JSONText {
    var bytes: [UInt8] = []
    /// Receives the text in pieces when set (see ``flushIfLarge()``).
    var sink: ((ArraySlice<UInt8>) -> Void)?

    init(reserving capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// Hands the text so far to the sink once it passes 1 MiB, so a large
    /// document streams to disk instead of being held whole in memory.
    mutating func flushIfLarge() {
        guard let sink, bytes.count >= 1 << 20 else { return }
        sink(bytes[...])
        bytes.removeAll(keepingCapacity: true)
    }

    /// Hands any remaining text to the sink.
    mutating func flush() {
        guard let sink, !bytes.isEmpty else { return }
        sink(bytes[...])
        bytes.removeAll(keepingCapacity: true)
    }

    /// Literal JSON syntax. A `StaticString` is a pointer and a length, so
    /// this is one `memcpy` with no `String` machinery.
    @inline(__always) mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Bytes that are already JSON (an entry of a ``TextTable``).
    @inline(__always) mutating func append(_ b: UnsafeRawBufferPointer) { bytes.append(contentsOf: b) }

    mutating func string(_ s: String) { Self.appendQuoted(s, to: &bytes) }

    /// `"key":`
    mutating func key(_ k: StaticString) {
        bytes.append(UInt8(ascii: "\""))
        raw(k)
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    /// `"key":` for a key known only at run time (a metric name), escaped.
    mutating func dynamicKey(_ k: String) {
        string(k)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func stringArray(_ items: [String]) {
        bytes.append(UInt8(ascii: "["))
        for (n, s) in items.enumerated() {
            if n > 0 { bytes.append(UInt8(ascii: ",")) }
            string(s)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// `[…]` of table entries already quoted, e.g. a row's shared tags.
    /// - Complexity: O(bytes written).
    static func appendArray(_ items: ArraySlice<Int32>, of quoted: TextTable, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        var first = true
        for t in items {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: quoted[Int(t)])
        }
        out.append(UInt8(ascii: "]"))
    }
}

// MARK: - Strings

extension JSONText {
    /// Whether a UTF-8 byte must be escaped inside a JSON string: `"`, `\`
    /// and the control characters (RFC 8259 §7). Every byte of a multi-byte
    /// UTF-8 sequence is ≥ 0x80, so non-ASCII text passes through as is.
    @inline(__always) static func needsEscape(_ b: UInt8) -> Bool {
        b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\")
    }

    /// Appends `s` as a JSON string literal, quotes included.
    ///
    /// Fast path: copy the run of bytes before the first one that needs
    /// escaping in one go (for ids, tags and reasons that is the whole string);
    /// the rest goes through ``appendEscaped(_:to:)``. A plain loop, not SIMD:
    /// the strings are short and most are escaped once into a ``TextTable``.
    /// - Complexity: O(bytes).
    static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let done: Void? = s.utf8.withContiguousStorageIfAvailable { utf8 in
            var clean = 0
            while clean < utf8.count && !needsEscape(utf8[clean]) { clean += 1 }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[..<clean]))
            if clean < utf8.count { appendEscaped(UnsafeBufferPointer(rebasing: utf8[clean...]), to: &out) }
        }
        // Native strings are contiguous; this covers any other kind.
        if done == nil { appendEscaped(s.utf8, to: &out) }
        out.append(UInt8(ascii: "\""))
    }

    /// The straightforward escaper: byte by byte, short escapes for `"`, `\`,
    /// newline, return and tab, `\u00XX` for the other control characters.
    static func appendEscaped(_ utf8: some Sequence<UInt8>, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        for b in utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00 ..< 0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            default: out.append(b)
            }
        }
    }
}

/// The effective config as JSON, keys sorted, for `runs.config`.
public enum ConfigJSON {
    public static func render(_ c: KindredConfig) -> String {
        var j = JSONText()
        j.raw("{")
        j.key("assignment"); j.raw("{"); j.key("mode"); j.string(c.assignmentMode.rawValue); j.raw("},")
        j.key("group_join_ratio"); j.number(c.groupJoinRatio); j.raw(",")
        j.key("group_max"); j.number(c.groupMax); j.raw(",")
        j.key("group_min"); j.number(c.groupMin); j.raw(",")
        j.key("group_min_cohesion"); j.number(c.groupMinCohesion); j.raw(",")
        j.key("shared_tags_max"); j.number(c.sharedTagsMax); j.raw(",")
        j.key("theme_max"); j.number(c.themeMax); j.raw(",")
        j.key("top_k"); j.number(c.topK); j.raw(",")
        j.key("weights"); j.raw("{")
        j.key("age"); j.number(c.weights.age); j.raw(",")
        j.key("availability"); j.number(c.weights.availability); j.raw(",")
        j.key("region"); j.number(c.weights.region); j.raw(",")
        j.key("tags"); j.number(c.weights.tags)
        j.raw("}}")
        return String(decoding: j.bytes, as: UTF8.self)
    }
}
