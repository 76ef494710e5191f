import KindredCore

/// A minimal JSON byte builder. Callers write keys in sorted order; the
/// writer's test re-parses the output and checks that every object's keys are
/// sorted, so a key added out of order fails the tests.
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

    mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        // Fast path: nothing to escape (ids, tags, codes almost always).
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: s.utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x00 ..< 0x20:
                let hex = Array("0123456789abcdef".utf8)
                raw("\\u00")
                bytes.append(hex[Int(b >> 4)])
                bytes.append(hex[Int(b & 0xF)])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// `"key":`
    mutating func key(_ k: String) {
        string(k)
        bytes.append(UInt8(ascii: ":"))
    }

    /// A score as the shortest decimal that reads back as the rounded value.
    mutating func score(_ s: Score) { number(s.value) }

    mutating func number(_ v: Double) {
        guard v.isFinite else { return raw("null") }
        if v == v.rounded(), abs(v) < 1e15 { raw(String(Int64(v))) } else { raw("\(v)") }
    }

    mutating func number(_ v: Int) { raw(String(v)) }

    mutating func stringArray(_ items: [String]) {
        bytes.append(UInt8(ascii: "["))
        for (n, s) in items.enumerated() {
            if n > 0 { bytes.append(UInt8(ascii: ",")) }
            string(s)
        }
        bytes.append(UInt8(ascii: "]"))
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
