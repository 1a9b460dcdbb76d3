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

    /// The queries of one GQA group [g·dim] over `staticRows` (attended exactly) ∪ S(q_j), each
    /// with its own S: output j in outputs[j·dim ..< (j+1)·dim], and per query the log-sum-exp,
    /// |S| and |T ∪ S|. Query j's rows and probabilities are left in `scratch.rows(j)` and
    /// `scratch.probabilities(j)`.
    ///
    /// The group shares the memory traffic: its sampled sets overlap (the queries of a group
    /// attend to the same keys), so each row of T ∪ (∪_j S_j) is read once — K for the g dot
    /// products, V for the g weighted sums, in row order with rows prefetched ahead — instead
    /// of once per query that sampled it. Query j's softmax runs over its own T ∪ S_j, and a row
    /// outside S_j enters its V sum with weight exactly 0, which leaves the fused sum unchanged,
    /// so query j's result is bit for bit the one it gets alone (g = 1).
    ///
    /// Logits are formed with raw keys, q·k_i/√d, which differ from the specification's centred
    /// q·k̃_i/√d by the per-query constant q·k̄/√d: the softmax is identical and the log-sum-exp
    /// comes out directly in the raw-key space the merge needs.
    func attend(queries q: UnsafePointer<Float>, group g: Int, codes: UnsafePointer<UInt32>, head: KVHead,
                staticRows: (Range<Int>, Range<Int>), scratch: MagicPIGScratch, outputs: UnsafeMutablePointer<Float>,
                results: UnsafeMutablePointer<MagicPIGResult>) {
        let d = head.dim, L = projection.tables
        let t = staticRows.0.count + staticRows.1.count
        let capacity = scratchStride(staticRows: staticRows)
        let words = SegmentedSimHashTables.bitmapWords(middle.count)
        let rows = scratch.union.reserve(capacity)
        let sampled = scratch.bitmaps(g * words)
        var u = 0
        for i in staticRows.0 { rows[u] = Int32(i); u += 1 }
        for i in staticRows.1 { rows[u] = Int32(i); u += 1 }
        if !middle.isEmpty {
            let counters = scratch.counters(middle.count)
            for j in 0..<g {
                tables.mark(codes: codes + j * L, threshold: threshold, counters: counters, sampled: sampled + j * words)
            }
            // The union in row order, with each row's ‖k̃‖ gathered once for the group (in row
            // order; read per query behind a membership test it missed the cache at random).
            // unionPosition[r]: where middle row r sits in the union (set for the union's rows only).
            let base = Int32(middle.lowerBound)
            let unionNorms = scratch.norms.reserve(capacity)
            let unionPosition = scratch.unionPositions.reserve(middle.count)
            middleNorms.withUnsafeBufferPointer { norms in
                for w in 0..<words {
                    var any: UInt64 = 0
                    for j in 0..<g { any |= sampled[j * words + w] }
                    while any != 0 {
                        let r = w * 64 + any.trailingZeroBitCount
                        rows[u] = base + Int32(r)
                        unionNorms[u] = norms[r]
                        unionPosition[r] = Int32(truncatingIfNeeded: u)
                        u += 1
                        any &= any &- 1
                    }
                }
            }
        }
        let dots = scratch.dots.reserve(g * capacity)
        GatherAttention.dots(head: head, queries: q, group: g, rows: rows, count: u, stride: u, into: dots)
        let weights = scratch.weights.reserve(g * capacity)
        let logits = scratch.logits.reserve(g * capacity), kept = scratch.rows.reserve(g * capacity)
        let scale = 1 / Float(d).squareRoot()
        for j in 0..<g {
            let qj = q + j * d, dj = dots + j * u, wj = weights + j * u
            let lj = logits + j * capacity, rj = kept + j * capacity
            let position = scratch.positions.reserve(capacity)
            var m = 0
            for i in 0..<t {
                lj[m] = dj[i] * scale; rj[m] = rows[i]; position[m] = Int32(i)
                m += 1
            }
            if u > t {
                let qNorm = Vector.norm(qj, count: d)
                let qMean = keyMean.withUnsafeBufferPointer { Vector.dot(qj, $0.baseAddress!, count: d) }
                let bits = sampled + j * words, unionNorms = scratch.norms.pointer
                let unionPosition = scratch.unionPositions.pointer
                // S_j's rows straight from its bitmap, in row order (the union's order), each found in the
                // union by its position: the logits of members only. (Before, every union row was scored
                // and kept or dropped branch-free: with the group's four queries that is three times the
                // rows, and the ln(u + 1e−4) table's L2 misses were most of it.)
                for w in 0..<words {
                    var word = bits[w]
                    while word != 0 {
                        let i = Int(unionPosition[w &* 64 &+ word.trailingZeroBitCount])
                        let dot = dj[i], denominator = qNorm * unionNorms[i]
                        // A zero query or a key equal to k̄ has no angle; treat it as orthogonal.
                        let cosine = denominator > 0 ? (dot - qMean) / denominator : 0
                        lj[m] = dot * scale - logWeight(cosine); rj[m] = rows[i]; position[m] = Int32(truncatingIfNeeded: i)
                        m += 1
                        word &= word &- 1
                    }
                }
                bits.update(repeating: 0, count: words)
            }
            // Softmax over T ∪ S_j; weight 0 for the union's other rows (`GatherAttention.finish`).
            wj.update(repeating: 0, count: u)
            let lse = m > 0 ? Softmax.inPlace(lj, count: m) : -.infinity
            for i in 0..<m { wj[Int(position[i])] = lj[i] }
            results[j] = MagicPIGResult(logSumExp: lse, sampled: m - t, total: m, groupRows: u)
        }
        outputs.update(repeating: 0, count: g * d)
        if u > 0 {
            GatherAttention.weightedSum(head: head, weights: weights, group: g, rows: rows, count: u, stride: u, into: outputs)
        }
    }
}

extension MagicPIGIndex {
    /// Elements per query in the scratch's per-query buffers (`MagicPIGScratch.rows`, `.logits`).
    func scratchStride(staticRows: (Range<Int>, Range<Int>)) -> Int {
        max(staticRows.0.count + staticRows.1.count + middle.count, 1)
    }
}

/// One query's MagicPIG step: log-sum-exp of its logits over T ∪ S, |S| and |T ∪ S|.
struct MagicPIGResult: Sendable {
    var logSumExp: Float
    var sampled: Int
    var total: Int
    /// Rows of T ∪ (∪_j S_j) the group read once each (K and V), shared by its queries.
    var groupRows = 0
}

/// Scratch of MagicPIG's step for one stream of groups (a prepared head, or a worker of a decode
/// kernel): retrieval counters and S bitmaps that stay zero between groups (the step clears what
/// it set), and growable buffers for the union, dots, logits and weights. Allocated once, never
/// per query: allocating and zeroing n counters per query (64 KB at 64K tokens, 32 times a step)
/// is work a step does not need.
final class MagicPIGScratch: @unchecked Sendable {
    let union = Scratch<Int32>()
    let dots = Scratch<Float>()
    let weights = Scratch<Float>()
    let positions = Scratch<Int32>()
    let norms = Scratch<Float>()
    /// Per middle row, its index in the union (valid for the union's rows).
    let unionPositions = Scratch<Int32>()
    /// Per query j: rows of T ∪ S_j at rows.pointer + j·capacity, their logits (probabilities
    /// after the step) at logits.pointer + j·capacity.
    let rows = Scratch<Int32>()
    let logits = Scratch<Float>()
    private let zeroed = ZeroedCounters<UInt8>()
    private let zeroedBits = ZeroedCounters<UInt64>()

    func counters(_ n: Int) -> UnsafeMutablePointer<UInt8> { zeroed.reserve(n) }
    func bitmaps(_ words: Int) -> UnsafeMutablePointer<UInt64> { zeroedBits.reserve(words) }
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
