import Foundation
import Kernels

/// MagicPIG's CPU part for every query head of one layer: per KV head, SimHash tables over the
/// centred middle keys (built once after prefill), then per decode step and query head: the
/// query's L codes, retrieval of S with the ≥ threshold collision rule, importance-weighted logits
/// q·k_i/√d − ln(u_i + 1e−4) over the gathered rows, softmax and Σ p_i·v_i with its log-sum-exp.
/// Query heads run in parallel (thread count chosen at run time).
///
/// Same semantics as `MagicPIG` (shared/reference/magicpig.md) over the same W: same k̄, same
/// codes, same S; two implementation choices differ within float tolerance:
/// - ln(u + 1e−4) comes from a 16 384-interval table over the cosine, linearly interpolated
///   (the exact acos/pow/log1p per sampled key cost more than the gather itself);
/// - S is gathered in ascending row order.
/// With `includeStatic` the static set (sink ∪ local window ∪ generated) is attended in the same
/// softmax, which gives the whole MagicPIG output; without it, the CPU half of the authors'
/// split, whose (output, lse) merge with the GPU's static part by `Softmax.merge`.
public final class MagicPIGDecode: @unchecked Sendable {
    public let cache: LayerKV
    public let layout: CacheLayout
    public let threshold: Int
    /// One W per KV head (the same W repeated for the authors' shared projection).
    public let projections: [SimHashProjection]
    public let tables: [SegmentedSimHashTables]
    /// k̄ per KV head (zeros without centring) and ‖k_i − k̄‖ per middle key.
    let keyMeans: [[Float]]
    let middleNorms: [[Float]]
    let logWeight: LogSamplingWeight

    /// Builds the tables of every KV head from rows [0, layout.promptLength) of `cache`, heads in
    /// parallel. `projections` holds one W per KV head, or a single W shared by all.
    public init(cache: LayerKV, layout: CacheLayout, projections: [SimHashProjection], threshold: Int = 2,
                centering: Bool = true, threads: Int = Parallel.defaultThreadCount, segmentRows: Int = 65536) {
        let hkv = cache.kvHeads, d = cache.dim
        precondition(projections.count == 1 || projections.count == hkv, "MagicPIGDecode: give one W, or one per KV head")
        precondition(projections.allSatisfy { $0.dim == d }, "MagicPIGDecode: W must have head_dim \(d) rows")
        precondition(layout.promptLength <= cache.count, "MagicPIGDecode: the layout covers more rows than the cache holds")
        precondition(threshold == 1 || threshold == 2, "MagicPIGDecode: threshold must be 1 or 2")
        let ws = projections.count == 1 ? Array(repeating: projections[0], count: hkv) : projections
        let middle = layout.middle
        let built = BuiltHeads(hkv)
        Parallel.forEach(hkv, threads: threads) { h in
            // The same arithmetic as PreparedMagicPIG, so codes (and S) are identical.
            var centred = cache.keys(kvHead: h, rows: middle)
            var mean = [Double](repeating: 0, count: d)
            if centering && !middle.isEmpty {
                for i in 0..<middle.count { for j in 0..<d { mean[j] += Double(centred[i * d + j]) } }
                for j in 0..<d { mean[j] /= Double(middle.count) }
            }
            let keyMean = mean.map { Float($0) }
            for i in 0..<middle.count { for j in 0..<d { centred[i * d + j] -= keyMean[j] } }
            let rowNorms = centred.withUnsafeBufferPointer { c in
                (0..<middle.count).map { Vector.norm(c.baseAddress! + $0 * d, count: d) }
            }
            let t = SegmentedSimHashTables(rows: centred, projection: ws[h], segmentRows: segmentRows)
            built.set(h, keyMean, rowNorms, t)
        }
        self.cache = cache
        self.layout = layout
        self.threshold = threshold
        self.projections = ws
        tables = built.tables.map { $0! }
        keyMeans = built.means
        middleNorms = built.norms
        logWeight = LogSamplingWeight(K: ws[0].bits, L: ws[0].tables, threshold: threshold)
    }

    /// Hash-table bytes over all KV heads.
    public var tableBytes: Int { tables.reduce(0) { $0 + $1.bytes } }

    /// One decode step: queries [H·dim] → outputs [H·dim], lse [H] and |S| per query head.
    public func attend(queries: [Float], includeStatic: Bool = true, threads: Int = Parallel.defaultThreadCount)
        -> (outputs: [Float], logSumExp: [Float], sampled: [Int]) {
        let d = cache.dim, hkv = cache.kvHeads
        precondition(queries.count % (d * hkv) == 0, "MagicPIGDecode: queries must be [heads, \(d)] with heads a multiple of \(hkv)")
        let heads = queries.count / d, g = heads / hkv
        let out = UnsafeMutablePointer<Float>.allocate(capacity: heads * d)
        let lse = UnsafeMutablePointer<Float>.allocate(capacity: heads)
        let sampled = UnsafeMutablePointer<Int>.allocate(capacity: heads)
        defer { out.deallocate(); lse.deallocate(); sampled.deallocate() }
        let op = SendablePointer(out), lp = SendablePointer(lse), sp = SendablePointer(sampled)
        queries.withUnsafeBufferPointer { qb in
            let q = SendablePointer(UnsafeMutablePointer(mutating: qb.baseAddress!))
            Parallel.forEach(heads, threads: threads) { head in
                let (l, s) = self.attend(query: q.pointer + head * d, kvHead: head / g, includeStatic: includeStatic,
                                         into: op.pointer + head * d)
                lp.pointer[head] = l
                sp.pointer[head] = s
            }
        }
        return (Array(UnsafeBufferPointer(start: out, count: heads * d)), Array(UnsafeBufferPointer(start: lse, count: heads)),
                Array(UnsafeBufferPointer(start: sampled, count: heads)))
    }

    /// One query head; returns (lse, |S|).
    func attend(query q: UnsafePointer<Float>, kvHead h: Int, includeStatic: Bool,
                into output: UnsafeMutablePointer<Float>) -> (Float, Int) {
        let d = cache.dim, n = cache.count, middle = layout.middle, table = tables[h]
        let staticCount = includeStatic ? layout.sink.count + (n - layout.local.lowerBound) : 0
        let capacity = staticCount + middle.count
        let rows = UnsafeMutablePointer<Int32>.allocate(capacity: max(capacity, 1))
        let logits = UnsafeMutablePointer<Float>.allocate(capacity: max(capacity, 1))
        defer { rows.deallocate(); logits.deallocate() }
        var t = 0
        if includeStatic {
            for i in layout.sink { rows[t] = Int32(i); t += 1 }
            for i in layout.local.lowerBound..<n { rows[t] = Int32(i); t += 1 }
        }
        var sCount = 0
        if !middle.isEmpty {
            let w = projections[h]
            let codes = UnsafeMutablePointer<UInt32>.allocate(capacity: w.tables)
            let projected = UnsafeMutablePointer<Float>.allocate(capacity: w.columnCount)
            let counters = UnsafeMutablePointer<UInt8>.allocate(capacity: middle.count + 8)
            counters.initialize(repeating: 0, count: middle.count + 8)
            defer { codes.deallocate(); projected.deallocate(); counters.deallocate() }
            w.codes(q, projected: projected, into: codes)
            sCount = table.retrieve(codes: codes, threshold: threshold, counters: counters, into: rows + t)
            let base = Int32(middle.lowerBound)
            for e in 0..<sCount { rows[t + e] += base }
        }
        let total = t + sCount
        GatherAttention.dots(cache: cache, kvHead: h, query: q, rows: rows, count: total, into: logits)
        let scale = 1 / Float(d).squareRoot()
        for i in 0..<t { logits[i] *= scale }
        if sCount > 0 {
            let qNorm = Vector.norm(q, count: d)
            let qMean = keyMeans[h].withUnsafeBufferPointer { Vector.dot(q, $0.baseAddress!, count: d) }
            middleNorms[h].withUnsafeBufferPointer { norms in
                for e in t..<total {
                    let dot = logits[e], m = Int(rows[e]) - middle.lowerBound
                    let denominator = qNorm * norms[m]
                    // A zero query or a key equal to k̄ has no angle; treat it as orthogonal (as MagicPIG).
                    let cosine = denominator > 0 ? (dot - qMean) / denominator : 0
                    logits[e] = dot * scale - logWeight(cosine)
                }
            }
        }
        let lse = GatherAttention.finish(cache: cache, kvHead: h, logits: logits, rows: rows, count: total, into: output)
        return (lse, sCount)
    }
}

/// Per-head build results gathered from the worker threads.
private final class BuiltHeads: @unchecked Sendable {
    var means: [[Float]], norms: [[Float]], tables: [SegmentedSimHashTables?]
    let lock = NSLock()
    init(_ n: Int) {
        means = Array(repeating: [], count: n); norms = Array(repeating: [], count: n); tables = Array(repeating: nil, count: n)
    }
    func set(_ h: Int, _ mean: [Float], _ norm: [Float], _ table: SegmentedSimHashTables) {
        lock.lock(); defer { lock.unlock() }
        means[h] = mean; norms[h] = norm; tables[h] = table
    }
}

/// ln(u(cos) + 1e−4) for fixed K, L and threshold, tabulated over cos ∈ [−1, 1] and linearly
/// interpolated. u is smooth in cos except at ±1 where it is flat (0 or 1), so with 16 384
/// intervals the interpolation error is far below Float resolution of the logits that matter.
struct LogSamplingWeight: Sendable {
    static let intervals = 16384
    let values: [Float]

    init(K: Int, L: Int, threshold: Int) {
        let n = LogSamplingWeight.intervals
        values = (0...n).map { i in
            let c = -1 + 2 * Double(i) / Double(n)
            let u = probabilityOfAtLeast(threshold, collisions: collisionProbability(cosine: c, K: K), tables: L)
            return Float(log(u + 1e-4))
        }
    }

    @inline(__always)
    func callAsFunction(_ cosine: Float) -> Float {
        let n = LogSamplingWeight.intervals
        let x = (min(1, max(-1, cosine)) + 1) * Float(n / 2)
        let i = min(Int(x), n - 1)
        let f = x - Float(i)
        return values.withUnsafeBufferPointer { v in v[i] + f * (v[i + 1] - v[i]) }
    }
}
