import Foundation
import Kernels

/// One KV head's MagicPIG index and its per-query step, shared by the replay's approximator
/// (`PreparedMagicPIG`) and the layer-wide decode kernel (`MagicPIGDecode`): one implementation
/// of k̄, the tables, retrieval and the importance-weighted logits, whichever cache it runs on.
struct MagicPIGIndex: Sendable {
    /// Tables over the centred middle keys (row i of the tables is cache row middle.lowerBound + i).
    let tables: SegmentedSimHashTables
    /// k̄ (zeros when centring is off or the middle is empty).
    let keyMean: [Float]
    /// ‖k_i − k̄‖ per middle key, for θ_i.
    let middleNorms: [Float]
    let middle: Range<Int>
    let threshold: Int
    let logWeight: LogSamplingWeight

    /// `middleKeys`: the raw keys of rows `middle`, [middle.count, dim].
    init(middleKeys: [Float], middle: Range<Int>, projection: SimHashProjection, threshold: Int, centering: Bool,
         segmentRows: Int = 65536) {
        let d = projection.dim
        precondition(middleKeys.count == middle.count * d, "MagicPIGIndex: middle keys must be [\(middle.count), \(d)]")
        var mean = [Double](repeating: 0, count: d)
        if centering && !middle.isEmpty {
            for i in 0..<middle.count { for j in 0..<d { mean[j] += Double(middleKeys[i * d + j]) } }
            for j in 0..<d { mean[j] /= Double(middle.count) }
        }
        keyMean = mean.map { Float($0) }
        var centred = middleKeys
        for i in 0..<middle.count { for j in 0..<d { centred[i * d + j] -= keyMean[j] } }
        middleNorms = centred.withUnsafeBufferPointer { c in
            (0..<middle.count).map { Vector.norm(c.baseAddress! + $0 * d, count: d) }
        }
        tables = SegmentedSimHashTables(rows: centred, projection: projection, segmentRows: segmentRows)
        self.middle = middle
        self.threshold = threshold
        logWeight = LogSamplingWeight(K: projection.bits, L: projection.tables, threshold: threshold)
    }

    var projection: SimHashProjection { tables.projection }

    /// One query over `staticRows` (attended exactly) ∪ S(q): leaves the rows in scratch.rows and
    /// their probabilities in scratch.logits ([0, total)), the output in `output`.
    ///
    /// Logits are formed with raw keys, q·k_i/√d, which differ from the specification's centred
    /// q·k̃_i/√d by the per-query constant q·k̄/√d: the softmax is identical and the log-sum-exp
    /// comes out directly in the raw-key space the merge needs.
    func attend(query q: UnsafePointer<Float>, codes: UnsafePointer<UInt32>, head: KVHead,
                staticRows: (Range<Int>, Range<Int>), scratch: MagicPIGScratch,
                into output: UnsafeMutablePointer<Float>) -> (logSumExp: Float, sampled: Int, total: Int) {
        let d = head.dim
        let staticCount = staticRows.0.count + staticRows.1.count
        let rows = scratch.rows.reserve(max(staticCount + middle.count, 1))
        let logits = scratch.logits.reserve(max(staticCount + middle.count, 1))
        var t = 0
        for i in staticRows.0 { rows[t] = Int32(i); t += 1 }
        for i in staticRows.1 { rows[t] = Int32(i); t += 1 }
        var sCount = 0
        if !middle.isEmpty {
            sCount = tables.retrieve(codes: codes, threshold: threshold, counters: scratch.counters(middle.count),
                                     into: rows + t)
            let base = Int32(middle.lowerBound)
            for e in t..<(t + sCount) { rows[e] += base }
        }
        let total = t + sCount
        GatherAttention.dots(head: head, query: q, rows: rows, count: total, into: logits)
        let scale = 1 / Float(d).squareRoot()
        for i in 0..<t { logits[i] *= scale }
        if sCount > 0 {
            let qNorm = Vector.norm(q, count: d)
            let qMean = keyMean.withUnsafeBufferPointer { Vector.dot(q, $0.baseAddress!, count: d) }
            middleNorms.withUnsafeBufferPointer { norms in
                for e in t..<total {
                    let dot = logits[e], m = Int(rows[e]) - middle.lowerBound
                    let denominator = qNorm * norms[m]
                    // A zero query or a key equal to k̄ has no angle; treat it as orthogonal.
                    let cosine = denominator > 0 ? (dot - qMean) / denominator : 0
                    logits[e] = dot * scale - logWeight(cosine)
                }
            }
        }
        let lse = GatherAttention.finish(head: head, logits: logits, rows: rows, count: total, into: output)
        return (lse, sCount, total)
    }
}

/// Per-query-stream scratch of MagicPIG: retrieval counters that stay zero between queries (the
/// retrieval resets what it touched), and growable row and logit buffers. Allocated once per
/// prepared head or per query head of a decode kernel, never per query: allocating and zeroing n
/// counters per query (64 KB at 64K tokens, 32 times a step) is work a step does not need.
final class MagicPIGScratch: @unchecked Sendable {
    let rows = Scratch<Int32>()
    let logits = Scratch<Float>()
    private let zeroed = ZeroedCounters<UInt8>()

    /// n + 8 zeroed counters (the retrieval reads them eight at a time).
    func counters(_ n: Int) -> UnsafeMutablePointer<UInt8> { zeroed.reserve(n + 8) }
}

/// ln(u(cos) + 1e−4) for fixed K, L and threshold, tabulated over cos ∈ [−1, 1] and linearly
/// interpolated. u is smooth in cos except at ±1 where it is flat (0 or 1), so with 16 384
/// intervals the interpolation error is far below Float resolution of the logits that matter.
/// Why a table: the exact acos/pow/log1p per sampled key cost more than the gather itself.
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
