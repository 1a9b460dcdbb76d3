import Kernels

/// Growable row-major [count, dim] Float rows behind a stable pointer, owned by one prepared
/// head. The hot paths index rows by pointer arithmetic instead of nesting
/// `withUnsafeBufferPointer` closures over `HeadCache` arrays on every query.
///
/// Why it adopts the cache's array instead of copying it: the copy into a fresh allocation (4 MB
/// per K or V at 16K tokens, page-faulted on first touch) doubled the page faults of an oracle
/// sampling replay (55.8K → 27.7K minor faults without it, with HeadReplay's one copy) and its
/// prepare time (≈0.077 → ≈0.04 s for 4 heads at 16K). Adopting costs a retain; the first `append` copies only
/// if the caller still holds the cache (copy-on-write keeps `HeadCache` a value), and grows in
/// place when the caller reserved capacity for the generated tokens (HeadReplay does).
final class RowBuffer {
    let dim: Int
    private(set) var count: Int
    /// The rows. Only `append` mutates it, and refreshes `base` afterwards: a native array's
    /// elements do not move between mutations.
    private var storage: [Float]
    private(set) var base: UnsafePointer<Float>

    init(dim: Int, rows: [Float]) {
        precondition(dim > 0 && rows.count % dim == 0, "RowBuffer: rows must be [count, dim]")
        self.dim = dim
        count = rows.count / dim
        storage = rows
        if storage.isEmpty { storage.reserveCapacity(16 * dim) }
        base = storage.withUnsafeBufferPointer { $0.baseAddress! }
    }

    @inline(__always) func row(_ i: Int) -> UnsafePointer<Float> { base + i * dim }

    func append(_ row: [Float]) {
        precondition(row.count == dim, "append: row length \(row.count) must equal head_dim \(dim)")
        storage.append(contentsOf: row)
        base = storage.withUnsafeBufferPointer { $0.baseAddress! }
        count += 1
    }
}

/// A prepared head that keeps its cache in two RowBuffers: tokens generated after prepare are
/// appended and attended exactly, the same way for every method.
protocol RowBufferedHead: PreparedAttentionHead {
    var keys: RowBuffer { get }
    var values: RowBuffer { get }
}

extension RowBufferedHead {
    var tokenCount: Int { keys.count }

    /// The rows as the decode kernels read them; valid until the next `append`.
    var head: KVHead { KVHead(keys: keys.base, values: values.base, dim: keys.dim) }

    /// Scores [G, n] of a group's queries over every row, q·k/√d (queries pre-scaled), in one pass
    /// over K (`TopKDecode`'s kernel); query j's row does not depend on G.
    func groupScores(_ queries: [[Float]], packed: Scratch<Float>, into scores: Scratch<Float>) -> UnsafeMutablePointer<Float> {
        let n = keys.count, d = keys.dim, g = queries.count
        let q = packed.reserve(max(g * d, 1)), sc = scores.reserve(max(g * n, 1))
        let scale = 1 / Float(d).squareRoot()
        for (j, query) in queries.enumerated() {
            precondition(query.count == d, "attend: query length \(query.count) must equal head_dim \(d)")
            for i in 0..<d { q[j * d + i] = query[i] * scale }
        }
        TopKDecode.scores(head: head, queries: q, group: g, rows: 0..<n, stride: n, into: sc)
        return sc
    }

    func append(key: [Float], value: [Float]) {
        keys.append(key)
        values.append(value)
    }
}

/// A reusable, uninitialised buffer of a trivial type (Float, Int32, UInt32): per-query scratch
/// that is allocated once per prepared head and only grows, on a cache-line boundary (`allocateLines`).
final class Scratch<T: BitwiseCopyable> {
    private(set) var pointer: UnsafeMutablePointer<T>
    private var capacity: Int

    init(_ capacity: Int = 64) {
        self.capacity = max(capacity, 1)
        pointer = .allocateLines(self.capacity)
    }

    deinit { pointer.deallocate() }

    /// A buffer of at least `n` elements; previous contents are not preserved.
    @inline(__always) func reserve(_ n: Int) -> UnsafeMutablePointer<T> {
        if n > capacity {
            pointer.deallocate()
            capacity = max(n, 2 * capacity)
            pointer = .allocateLines(capacity)
        }
        return pointer
    }
}

/// Per-key counters that are all zero between uses: the user resets the entries it touched, so a
/// query pays for its draws (oracle sampling) or its buckets (MagicPIG), not for allocating and
/// clearing n counters. Grows with the cache.
final class ZeroedCounters<T: FixedWidthInteger> {
    private var pointer: UnsafeMutablePointer<T>
    private var capacity: Int

    init() {
        capacity = 64
        pointer = .allocate(capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
    }

    deinit { pointer.deallocate() }

    /// At least `n` counters, all zero unless the caller left some set.
    @inline(__always) func reserve(_ n: Int) -> UnsafeMutablePointer<T> {
        if n > capacity {
            let newCapacity = max(n, 2 * capacity)
            let grown = UnsafeMutablePointer<T>.allocate(capacity: newCapacity)
            grown.initialize(from: pointer, count: capacity)
            (grown + capacity).initialize(repeating: 0, count: newCapacity - capacity)
            pointer.deallocate()
            pointer = grown
            capacity = newCapacity
        }
        return pointer
    }
}

/// Attention over an explicit list of rows: logits are written by the caller, then softmax,
/// log-sum-exp and the value gather happen in `GatherAttention`, shared by every sparse method
/// and by the decode kernels.
enum SubsetAttention {
    /// logits[i] = q·k_{rows[i]}·scale.
    static func scores(query: UnsafePointer<Float>, head: KVHead, rows: UnsafePointer<Int32>, count: Int,
                       scale: Float, into logits: UnsafeMutablePointer<Float>) {
        GatherAttention.dots(head: head, query: query, rows: rows, count: count, into: logits)
        for i in 0..<count { logits[i] *= scale }
    }

    /// Softmax of logits[0..<count] in place, output = Σ softmax_i · v_{rows[i]}; returns the
    /// log-sum-exp (−∞ and a zero output for an empty set).
    static func finish(logits: UnsafeMutablePointer<Float>, rows: UnsafePointer<Int32>, count: Int,
                       head: KVHead) -> (output: [Float], logSumExp: Float) {
        var output = [Float](repeating: 0, count: head.dim)
        let lse = output.withUnsafeMutableBufferPointer {
            GatherAttention.finish(head: head, logits: logits, rows: rows, count: count, into: $0.baseAddress!)
        }
        return (output, lse)
    }

    /// Effective weights as recorded in results, sorted by key index.
    static func weights(rows: UnsafePointer<Int32>, probabilities: UnsafePointer<Float>, count: Int) -> SparseAttentionWeights {
        let order = (0..<count).sorted { rows[$0] < rows[$1] }
        return SparseAttentionWeights(indices: order.map { rows[$0] }, weights: order.map { probabilities[$0] })
    }
}

/// The static set of MagicPIG's protocol — sink ∪ local window ∪ generated — as row ranges of a
/// cache holding `count` tokens whose prompt had `layout`.
extension CacheLayout {
    func staticRanges(count: Int) -> (Range<Int>, Range<Int>) {
        (sink, local.lowerBound..<max(local.lowerBound, count))
    }
}

/// Stream tags that keep each method's random numbers independent of the others'.
enum StreamTag {
    static let simHash: UInt64 = 0x5349_4D48_4153_4800      // "SIMHASH"
    static let oracleSampling: UInt64 = 0x4F52_4143_4C45_0000 // "ORACLE"
}
