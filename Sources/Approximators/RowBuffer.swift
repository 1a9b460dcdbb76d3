import Kernels

/// Growable row-major [count, dim] Float rows behind a stable pointer, owned by one prepared
/// head. The hot paths index rows by pointer arithmetic instead of nesting
/// `withUnsafeBufferPointer` closures over `HeadCache` arrays on every query.
final class RowBuffer {
    let dim: Int
    private(set) var count: Int
    private var capacity: Int
    private(set) var base: UnsafeMutablePointer<Float>

    init(dim: Int, rows: [Float]) {
        precondition(dim > 0 && rows.count % dim == 0, "RowBuffer: rows must be [count, dim]")
        self.dim = dim
        count = rows.count / dim
        capacity = max(count + 64, 16)
        base = .allocate(capacity: capacity * dim)
        rows.withUnsafeBufferPointer { base.initialize(from: $0.baseAddress!, count: rows.count) }
    }

    deinit { base.deallocate() }

    @inline(__always) func row(_ i: Int) -> UnsafeMutablePointer<Float> { base + i * dim }

    func append(_ row: [Float]) {
        precondition(row.count == dim, "append: row length \(row.count) must equal head_dim \(dim)")
        if count == capacity {
            let newCapacity = 2 * capacity
            let newBase = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity * dim)
            newBase.initialize(from: base, count: count * dim)
            base.deallocate()
            base = newBase
            capacity = newCapacity
        }
        row.withUnsafeBufferPointer { (base + count * dim).initialize(from: $0.baseAddress!, count: dim) }
        count += 1
    }
}

/// A reusable, uninitialised buffer of a trivial type (Float, Int32, UInt32): per-query scratch
/// that is allocated once per prepared head and only grows.
final class Scratch<T> {
    private(set) var pointer: UnsafeMutablePointer<T>
    private var capacity: Int

    init(_ capacity: Int = 64) {
        self.capacity = max(capacity, 1)
        pointer = .allocate(capacity: self.capacity)
    }

    deinit { pointer.deallocate() }

    /// A buffer of at least `n` elements; previous contents are not preserved.
    @inline(__always) func reserve(_ n: Int) -> UnsafeMutablePointer<T> {
        if n > capacity {
            pointer.deallocate()
            capacity = max(n, 2 * capacity)
            pointer = .allocate(capacity: capacity)
        }
        return pointer
    }
}

/// Attention over an explicit list of rows: logits are written by the caller, then softmax,
/// log-sum-exp and the value gather happen here, shared by every sparse method.
enum SubsetAttention {
    /// logits[i] = q·k_{rows[i]}·scale.
    @inline(__always)
    static func scores(query: UnsafePointer<Float>, keys: RowBuffer, rows: UnsafePointer<Int32>, count: Int,
                       scale: Float, into logits: UnsafeMutablePointer<Float>) {
        let d = keys.dim
        for i in 0..<count {
            logits[i] = Vector.dot(query, keys.row(Int(rows[i])), count: d) * scale
        }
    }

    /// Softmax of logits[0..<count] in place, output = Σ softmax_i · v_{rows[i]}; returns the
    /// log-sum-exp (−∞ and a zero output for an empty set).
    static func finish(logits: UnsafeMutablePointer<Float>, rows: UnsafePointer<Int32>, count: Int,
                       values: RowBuffer) -> (output: [Float], logSumExp: Float) {
        var output = [Float](repeating: 0, count: values.dim)
        guard count > 0 else { return (output, -.infinity) }
        let lse = Softmax.inPlace(logits, count: count)
        output.withUnsafeMutableBufferPointer { o in
            AttentionKernel.gatherWeightedSum(weights: logits, rows: rows, count: count, values: values.base,
                                              dim: values.dim, into: o.baseAddress!)
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
