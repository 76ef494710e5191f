import KindredCore

/// Reads the TOML config file (contract §2) into a ``KindredConfig``.
///
/// Supports the TOML subset a config needs: `# comments`, `[table]` headers,
/// and `key = value` with integers, floats, booleans and basic strings. Every
/// key is optional; an unknown key, a repeated key, a wrong type or an
/// out-of-range value is an ``InputError`` with line and column.
public enum ConfigLoader {
    /// Parses config text. `file` names the file in errors.
    public static func parse(_ text: String, file: String) throws -> KindredConfig {
        var config = KindredConfig()
        var table = ""
        var seen = Set<String>()
        var weights: [String: Double]?
        // Lines end at LF or CRLF ("\r\n" is one Character in Swift); a BOM is ignored.
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        for (n, rawLine) in body.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let lineNumber = n + 1
            let line = stripComment(String(rawLine))
            let trimmed = TextNormalization.trimmed(line)
            if trimmed.isEmpty { continue }
            let column = (line.firstIndex { !$0.isWhitespace }).map { line.distance(from: line.startIndex, to: $0) + 1 } ?? 1
            func fail(_ message: String) -> InputError {
                InputError(file: file, line: lineNumber, column: column, message: message)
            }
            if trimmed.hasPrefix("[") {
                guard trimmed.hasSuffix("]"), !trimmed.hasPrefix("[[") else { throw fail("malformed table header") }
                table = TextNormalization.trimmed(String(trimmed.dropFirst().dropLast()))
                guard ["weights", "assignment"].contains(table) else {
                    throw fail("unknown table [\(table)]; known tables are [weights] and [assignment]")
                }
                guard seen.insert("[\(table)]").inserted else { throw fail("table [\(table)] appears twice") }
                if table == "weights" { weights = weights ?? [:] }
                continue
            }
            guard let eq = trimmed.firstIndex(of: "=") else { throw fail("expected 'key = value'") }
            let key = TextNormalization.trimmed(String(trimmed[..<eq]))
            let valueText = TextNormalization.trimmed(String(trimmed[trimmed.index(after: eq)...]))
            guard !key.contains("."), !key.contains("\""), !key.isEmpty else {
                throw fail("keys are plain names: put block weights in a [weights] table")
            }
            let path = table.isEmpty ? key : "\(table).\(key)"
            guard seen.insert(path).inserted else { throw fail("key '\(path)' is set twice") }
            let value = try parseValue(valueText, fail: fail)
            switch path {
            case "top_k": config.topK = try value.int(in: 1 ... 1000, key: path, fail: fail)
            case "group_min": config.groupMin = try value.int(in: 2 ... 100, key: path, fail: fail)
            case "group_max": config.groupMax = try value.int(in: 2 ... 100, key: path, fail: fail)
            case "group_min_cohesion":
                let v = try value.double(key: path, fail: fail)
                guard v.isFinite, (0 ... 1).contains(v) else { throw fail("'group_min_cohesion' must be between 0 and 1") }
                config.groupMinCohesion = v
            case "group_join_ratio":
                let v = try value.double(key: path, fail: fail)
                guard v.isFinite, (0 ... 1).contains(v) else { throw fail("'group_join_ratio' must be between 0 and 1") }
                config.groupJoinRatio = v
            case "shared_tags_max": config.sharedTagsMax = try value.int(in: 0 ... 100, key: path, fail: fail)
            case "theme_max": config.themeMax = try value.int(in: 0 ... 100, key: path, fail: fail)
            case "weights.tags", "weights.availability", "weights.age", "weights.region":
                let w = try value.double(key: path, fail: fail)
                guard w.isFinite, w >= 0 else { throw fail("'\(path)' must be a finite number >= 0") }
                weights?[key] = w
            case "assignment.mode":
                guard case .string(let s) = value, let mode = AssignmentMode(rawValue: s) else {
                    throw fail("'assignment.mode' must be one of: \(AssignmentMode.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
                }
                config.assignmentMode = mode
            default:
                throw fail("unknown key '\(path)'; see docs/Config.md for the keys")
            }
        }
        if config.groupMin > config.groupMax {
            throw InputError(file: file, message: "group_min (\(config.groupMin)) is larger than group_max (\(config.groupMax))")
        }
        if let weights {
            // A [weights] table sets every block: the ones it does not name get 0.
            let w = BlockWeights(tags: weights["tags"] ?? 0, availability: weights["availability"] ?? 0,
                                 age: weights["age"] ?? 0, region: weights["region"] ?? 0)
            let sum = w.tags + w.availability + w.age + w.region
            guard sum > 0, sum.isFinite else {
                throw InputError(file: file, message: "[weights] must give at least one block a weight above 0")
            }
            config.weights = w.normalized
        }
        return config
    }

    /// Reads and parses a config file.
    public static func load(_ file: InputFile) throws -> KindredConfig {
        try parse(String(decoding: file.bytes, as: UTF8.self), file: file.path)
    }

    enum Value {
        case int(Int), double(Double), string(String), bool(Bool)

        func int(in range: ClosedRange<Int>, key: String, fail: (String) -> InputError) throws -> Int {
            guard case .int(let v) = self else { throw fail("'\(key)' must be a whole number") }
            guard range.contains(v) else { throw fail("'\(key)' must be between \(range.lowerBound) and \(range.upperBound)") }
            return v
        }

        func double(key: String, fail: (String) -> InputError) throws -> Double {
            switch self {
            case .int(let v): return Double(v)
            case .double(let v): return v
            default: throw fail("'\(key)' must be a number")
            }
        }
    }

    static func parseValue(_ text: String, fail: (String) -> InputError) throws -> Value {
        if text.hasPrefix("\"") {
            guard text.count >= 2, text.hasSuffix("\"") else { throw fail("unterminated string") }
            let inner = text.dropFirst().dropLast()
            guard !inner.contains("\"") && !inner.contains("\\") else { throw fail("escapes are not supported in config strings") }
            return .string(String(inner))
        }
        if text == "true" { return .bool(true) }
        if text == "false" { return .bool(false) }
        let digits = text.replacingOccurrences(of: "_", with: "")
        if let v = Int(digits) { return .int(v) }
        if let v = Double(digits), digits.first.map({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." }) == true {
            return .double(v)
        }
        throw fail("cannot read the value: expected a number, true/false or a \"string\"")
    }

    /// Drops a `#` comment that is not inside a string.
    static func stripComment(_ line: String) -> String {
        var inString = false
        for i in line.indices {
            let c = line[i]
            if c == "\"" { inString.toggle() }
            if c == "#" && !inString { return String(line[..<i]) }
        }
        return line
    }
}

private extension String {
    func replacingOccurrences(of target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
