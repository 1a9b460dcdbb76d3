/// Byte-level BPE merges over interned symbols.
///
/// Every string that can appear as a symbol during merging (the 256 byte scalars, both sides of every merge and
/// every merge result) gets an integer: its token id when the vocabulary has it, otherwise an id past the
/// vocabulary with its text kept in `extraTexts`. A merge is then one dictionary probe on a pair of integers, and
/// merging by text (what llama.cpp does) and by these integers give the same result.
struct BPEMerges: Sendable {
    /// (left << 32 | right) → (rank << 32 | merged symbol).
    private var pairs: [UInt64: UInt64] = [:]
    /// Texts of the symbols that are not tokens, indexed by symbol − vocabularySize.
    private(set) var extraTexts: [String] = []
    /// The symbol of each byte's alphabet scalar.
    private(set) var byteSymbols: [Int32] = []
    let vocabularySize: Int

    /// `merges` are "left right" strings in rank order (split at the first space after the first character,
    /// as llama.cpp does); a repeated pair keeps its first rank.
    init(merges: [String], tokenToId: [String: Int32], vocabularySize: Int) {
        self.vocabularySize = vocabularySize
        var extraIds: [String: Int32] = [:]
        var extra: [String] = []
        func intern(_ text: String) -> Int32 {
            if let id = tokenToId[text] { return id }
            if let id = extraIds[text] { return id }
            let id = Int32(vocabularySize + extra.count)
            extra.append(text)
            extraIds[text] = id
            return id
        }
        byteSymbols = ByteLevel.scalarForByte.map { intern(String($0)) }
        pairs.reserveCapacity(merges.count)
        for (rank, merge) in merges.enumerated() {
            let utf8 = merge.utf8
            guard !utf8.isEmpty, let space = utf8.dropFirst().firstIndex(of: 0x20) else { continue }
            let left = String(merge[merge.startIndex ..< space])
            let right = String(merge[merge.index(after: space)...])
            let l = intern(left), r = intern(right)
            let key = UInt64(UInt32(bitPattern: l)) << 32 | UInt64(UInt32(bitPattern: r))
            if pairs[key] != nil { continue }
            let merged = intern(left + right)
            pairs[key] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged))
        }
        extraTexts = extra
    }

    @inline(__always)
    func merge(_ left: Int32, _ right: Int32) -> (rank: Int32, merged: Int32)? {
        let key = UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
        guard let value = pairs[key] else { return nil }
        return (Int32(truncatingIfNeeded: value >> 32), Int32(truncatingIfNeeded: value & 0xFFFF_FFFF))
    }

    /// The symbols one word's bytes merge into: repeatedly the adjacent pair of lowest rank (the leftmost among
    /// equal ranks) becomes one symbol, until no adjacent pair has a merge. A binary heap of candidate pairs with
    /// lazy invalidation keeps long words (whitespace runs, long punctuation) near n log n.
    func apply(_ bytes: ArraySlice<UInt8>) -> [Int32] {
        let n = bytes.count
        if n == 0 { return [] }
        var symbol = bytes.map { byteSymbols[Int($0)] }
        if n == 1 { return symbol }
        var next = Array(1 ... n)  // n means none
        var prev = Array(-1 ..< n - 1)
        var alive = [Bool](repeating: true, count: n)
        var heap = PairHeap()
        for i in 0 ..< n - 1 {
            if let m = merge(symbol[i], symbol[i + 1]) {
                heap.push(.init(rank: m.rank, left: Int32(i), leftSymbol: symbol[i], rightSymbol: symbol[i + 1]))
            }
        }
        while let top = heap.pop() {
            let left = Int(top.left)
            guard alive[left], symbol[left] == top.leftSymbol else { continue }
            let right = next[left]
            guard right < n, symbol[right] == top.rightSymbol, let m = merge(symbol[left], symbol[right]) else { continue }
            symbol[left] = m.merged
            alive[right] = false
            next[left] = next[right]
            if next[right] < n { prev[next[right]] = left }
            if prev[left] >= 0, let p = merge(symbol[prev[left]], symbol[left]) {
                heap.push(.init(rank: p.rank, left: Int32(prev[left]), leftSymbol: symbol[prev[left]], rightSymbol: symbol[left]))
            }
            if next[left] < n, let q = merge(symbol[left], symbol[next[left]]) {
                heap.push(.init(rank: q.rank, left: Int32(left), leftSymbol: symbol[left], rightSymbol: symbol[next[left]]))
            }
        }
        var result: [Int32] = []
        var i = 0
        while i < n {
            result.append(symbol[i])
            i = next[i]
        }
        return result
    }
}

/// A min-heap of candidate merges ordered by (rank, left position).
struct PairHeap {
    struct Entry {
        var rank: Int32
        var left: Int32
        var leftSymbol: Int32
        var rightSymbol: Int32
        @inline(__always) func precedes(_ other: Entry) -> Bool {
            rank < other.rank || (rank == other.rank && left < other.left)
        }
    }

    private var items: [Entry] = []

    mutating func push(_ entry: Entry) {
        items.append(entry)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].precedes(items[parent]) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            let count = items.count
            while true {
                let l = 2 * parent + 1, r = l + 1
                var best = parent
                if l < count, items[l].precedes(items[best]) { best = l }
                if r < count, items[r].precedes(items[best]) { best = r }
                if best == parent { break }
                items.swapAt(parent, best)
                parent = best
            }
        }
        return top
    }
}
