#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import KindredCore

/// Builds the ``FeatureSpace`` of contract §2 from a dataset.
public enum Vectorizer {
    /// - Parameters:
    ///   - weights: block weights; normalised here to sum to 1.
    /// - Complexity: O(total tags + total availability tokens + profiles).
    public static func build(_ dataset: Dataset, weights: BlockWeights) -> FeatureSpace {
        let w = weights.normalized
        let profiles = dataset.profiles
        let active = dataset.activeIndices
        let n = active.count

        // Tags: vocabulary and document frequency over active profiles only.
        var df = [Int32](repeating: 0, count: dataset.tagNames.count)
        for p in active { for t in dataset.tags[Int(p)] { df[Int(t.tag)] += 1 } }
        var tagColumn = [Int32](repeating: -1, count: dataset.tagNames.count)
        var columnTag: [Int32] = []
        if w.tags > 0 {
            for t in df.indices where df[t] > 0 {
                tagColumn[t] = Int32(columnTag.count)
                columnTag.append(Int32(t))
            }
        }
        let tagColumns = columnTag.count

        // Availability tokens and regions: vocabularies in byte order.
        var availabilityColumn: [String: Int32] = [:]
        if w.availability > 0 {
            // Distinct first (a set), then sorted: sorting every token of every
            // profile cost ~0.1 s at 50,000 people.
            var distinct = Set<String>()
            for p in active { distinct.formUnion(profiles[Int(p)].availability) }
            let tokens = TextNormalization.sortedUnique(Array(distinct))
            for (k, token) in tokens.enumerated() { availabilityColumn[token] = Int32(tagColumns + k) }
        }
        let ageBase = tagColumns + availabilityColumn.count
        // Age windows: band b lies in windows b, b+1, b+2 (window s covers bands s-2...s).
        let ageWindows = w.age > 0 ? AgeBand.allCases.count + AgeBand.kernelWidth - 1 : 0
        let regionBase = ageBase + ageWindows
        var regionColumn: [String: Int32] = [:]
        if w.region > 0 {
            let regions = TextNormalization.sortedUnique(Array(Set(active.compactMap { profiles[Int($0)].region })))
            for (k, region) in regions.enumerated() { regionColumn[region] = Int32(regionBase + k) }
        }
        let dimension = regionBase + regionColumn.count

        let idfNumerator = Double(1 + n)
        let idf = df.map { log(idfNumerator / Double(1 + $0)) + 1 }
        var block: [(Int32, Double)] = []
        var rowOffsets = [Int](repeating: 0, count: profiles.count + 1)
        var columns: [Int32] = []
        var values: [Double] = []
        for i in profiles.indices {
            defer { rowOffsets[i + 1] = columns.count }
            let profile = profiles[i]
            guard profile.active else { continue }
            if tagColumns > 0 {
                let tags = dataset.tags[i]
                var norm2 = 0.0
                block.removeAll(keepingCapacity: true)
                for t in tags {
                    let x = t.weight * idf[Int(t.tag)]
                    block.append((tagColumn[Int(t.tag)], x))
                    norm2 += x * x
                }
                if norm2 > 0 {
                    let scale = w.tags.squareRoot() / norm2.squareRoot()
                    for (c, x) in block { columns.append(c); values.append(x * scale) }
                }
            }
            if !availabilityColumn.isEmpty, !profile.availability.isEmpty {
                let v = (w.availability / Double(profile.availability.count)).squareRoot()
                for token in profile.availability {
                    columns.append(availabilityColumn[token]!)
                    values.append(v)
                }
            }
            if ageWindows > 0, let band = profile.ageBand {
                let v = (w.age / Double(AgeBand.kernelWidth)).squareRoot()
                for k in 0 ..< AgeBand.kernelWidth {
                    columns.append(Int32(ageBase + band.rawValue + k))
                    values.append(v)
                }
            }
            if let region = profile.region, let c = regionColumn[region] {
                columns.append(c)
                values.append(w.region.squareRoot())
            }
        }
        return FeatureSpace(dimension: dimension, tagColumns: tagColumns,
                            ageColumns: ageWindows > 0 ? ageBase ..< ageBase + ageWindows : nil, columnTag: columnTag,
                            rowOffsets: rowOffsets, columns: columns, values: values,
                            documentFrequency: df, weights: w)
    }
}

