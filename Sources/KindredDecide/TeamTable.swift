/// The groups ``GroupRefinement`` may change ("teams"), in one flat table: team
/// t's members are `members[t * capacity ..< t * capacity + size[t]]`, in order.
///
/// Flat rather than `[[Int]]` because the search reads the size and members
/// of several random teams per person, and one array header per team cost a
/// cache miss each time.
struct TeamTable {
    let capacity: Int
    private(set) var members: [Int32]
    private(set) var size: [Int]

    /// - Parameter capacity: the largest size a team may ever reach.
    init(_ teams: [[Int]], capacity: Int) {
        precondition(teams.allSatisfy { $0.count <= capacity })
        self.capacity = capacity
        members = [Int32](repeating: -1, count: teams.count * capacity)
        size = teams.map(\.count)
        for t in teams.indices { for (i, m) in teams[t].enumerated() { members[t * capacity + i] = Int32(m) } }
    }

    var count: Int { size.count }

    /// Team t's members, in order.
    @inline(__always) func team(_ t: Int) -> ArraySlice<Int32> { members[t * capacity ..< t * capacity + size[t]] }

    mutating func append(_ m: Int, to t: Int) {
        precondition(size[t] < capacity)
        members[t * capacity + size[t]] = Int32(m)
        size[t] += 1
    }

    /// Removes m from team t, keeping the order of the others.
    mutating func remove(_ m: Int, from t: Int) {
        let base = t * capacity
        var w = base
        for r in base ..< base + size[t] where members[r] != Int32(m) {
            members[w] = members[r]
            w += 1
        }
        size[t] = w - base
    }
}
