import Foundation

/// Dense attention of one decode step, every query head of a layer at once, over a `LayerKV`.
///
/// Bound by memory reads (each K and V byte is used by G = H/H_kv queries, a few FLOPs per byte),
/// so the kernel streams K and V once per KV head: the G queries of a GQA group share each block of
/// rows while it is in L1/L2, and softmax is computed online (flash-decoding: running max, running
/// sum, rescaled accumulator), so there is no second pass over the scores or the cache.
///
/// Work items are (KV head, chunk of the sequence). With fewer KV heads than threads the sequence
/// is cut into chunks whose partial results merge exactly by log-sum-exp (shared/reference/
/// magicpig.md): o = Σ_c e^{lse_c}·o_c / Σ_c e^{lse_c}.
public enum DecodeAttention {
    /// Rows per block: 64 rows of 128 fp32 dims are 32 KB of K (and of V), an L1-sized tile.
    static let blockRows = 64

    /// outputs[h·dim ..< (h+1)·dim] and lse[h] for every query head h < queryHeads, over rows
    /// `rows` (default: all valid rows) of the cache. Query head h reads KV head h / (H / H_kv).
    /// `chunksPerKVHead` overrides the sequence split (tests use it to force merging).
    public static func attend(
        queries: UnsafePointer<Float>, queryHeads: Int, cache: LayerKV, rows: Range<Int>? = nil,
        threads: Int = Parallel.defaultThreadCount, chunksPerKVHead: Int? = nil,
        outputs: UnsafeMutablePointer<Float>, logSumExp lse: UnsafeMutablePointer<Float>
    ) {
        let hkv = cache.kvHeads
        precondition(queryHeads % hkv == 0, "DecodeAttention: \(queryHeads) query heads is not a multiple of \(hkv) KV heads")
        let g = queryHeads / hkv
        let range = rows ?? 0..<cache.count
        precondition(range.lowerBound >= 0 && range.upperBound <= cache.count, "DecodeAttention: rows \(range) outside the cache")
        let n = range.count
        // One chunk per KV head when the heads alone keep the threads busy; else about four items
        // per thread (dynamic hand-out evens the tails), never chunks under 256 rows.
        let autoChunks = threads <= 1 || hkv >= 2 * threads ? 1 : (4 * threads + hkv - 1) / hkv
        let chunks = max(1, min(chunksPerKVHead ?? autoChunks, max(1, n / 256), max(n, 1)))
        run(queries: queries, group: g, heads: (0..<hkv).map { cache.head($0) }, rows: range, pieces: chunks,
            threads: threads, outputs: outputs, logSumExp: lse)
    }

    /// Array convenience: queries [H·dim] → (outputs [H·dim], lse [H]).
    public static func attend(queries: [Float], cache: LayerKV, rows: Range<Int>? = nil,
                              threads: Int = Parallel.defaultThreadCount,
                              chunksPerKVHead: Int? = nil) -> (outputs: [Float], logSumExp: [Float]) {
        precondition(queries.count % cache.dim == 0, "DecodeAttention: queries must be [heads, \(cache.dim)]")
        let heads = queries.count / cache.dim
        var out = [Float](repeating: 0, count: queries.count), lse = [Float](repeating: 0, count: heads)
        queries.withUnsafeBufferPointer { qb in
            out.withUnsafeMutableBufferPointer { ob in
                lse.withUnsafeMutableBufferPointer { lb in
                    attend(queries: qb.baseAddress!, queryHeads: heads, cache: cache, rows: rows, threads: threads,
                           chunksPerKVHead: chunksPerKVHead, outputs: ob.baseAddress!, logSumExp: lb.baseAddress!)
                }
            }
        }
        return (out, lse)
    }

    /// Rows per sequence piece of the per-head entries below: a head's rows are cut into
    /// ⌈n / 1024⌉ equal pieces whose partials merge by log-sum-exp. The cut depends on n alone, never
    /// on the thread count, so `attend(queries:group:heads:…)` (pieces on all threads) and the one-head
    /// entry (pieces in turn) give the same bits. It lets a model whose few KV heads do not divide the
    /// threads (SmolLM2: 3 heads on 2 threads) keep every thread busy.
    public static let pieceRows = 1024

    static func pieces(_ n: Int) -> Int { max(1, (n + pieceRows - 1) / pieceRows) }

    static func piece(_ p: Int, of pieces: Int, rows: Range<Int>) -> Range<Int> {
        let n = rows.count
        return (rows.lowerBound + n * p / pieces)..<(rows.lowerBound + n * (p + 1) / pieces)
    }

    /// One KV head, its G queries [G·dim], rows `rows`, on the calling thread: outputs [G·dim] and
    /// lse [G]. The approximators' exact attention (replay and decode loop) runs here. Query j's
    /// result does not depend on G (each query has its own accumulators, summed in the same order),
    /// so a group's attend equals its queries' single attends bit for bit.
    public static func attend(queries: UnsafePointer<Float>, group g: Int, head: KVHead, rows: Range<Int>,
                              outputs: UnsafeMutablePointer<Float>, logSumExp lse: UnsafeMutablePointer<Float>) {
        run(queries: queries, group: g, heads: [head], rows: rows, pieces: pieces(rows.count), threads: 1,
            outputs: outputs, logSumExp: lse)
    }

    /// Every KV head of `heads` with its G queries (head h's at queries + h·G·dim), rows `rows`, the
    /// (head, piece) items spread over `threads`: equal bit for bit to the one-head entry per head.
    /// The model's plain decoding runs here, the seam's exact method runs the one-head entry.
    public static func attend(queries: UnsafePointer<Float>, group g: Int, heads: [KVHead], rows: Range<Int>,
                              threads: Int, outputs: UnsafeMutablePointer<Float>, logSumExp lse: UnsafeMutablePointer<Float>) {
        run(queries: queries, group: g, heads: heads, rows: rows, pieces: pieces(rows.count), threads: threads,
            outputs: outputs, logSumExp: lse)
    }

    /// The one split every entry runs: each head's rows cut into `count` equal pieces, the (head, piece)
    /// partials computed on `threads` threads, then merged per query in piece order by log-sum-exp.
    static func run(queries: UnsafePointer<Float>, group g: Int, heads: [KVHead], rows: Range<Int>, pieces count: Int,
                    threads: Int, outputs: UnsafeMutablePointer<Float>, logSumExp lse: UnsafeMutablePointer<Float>) {
        guard let d = heads.first?.dim else { return }
        let state = PartialState(items: heads.count * count, group: g, dim: d)
        defer { state.deallocate() }
        let q = SendablePointer(UnsafeMutablePointer(mutating: queries))
        Parallel.forEach(heads.count * count, threads: threads) { item in
            let h = item / count, p = item % count
            partial(head: heads[h], queries: UnsafePointer(q.pointer) + h * g * d, group: g,
                    rows: piece(p, of: count, rows: rows), state: state, item: item)
        }
        for h in heads.indices {
            for j in 0..<g {
                state.merge(items: (h * count)..<((h + 1) * count), query: j,
                            into: outputs + (h * g + j) * d, logSumExp: lse + h * g + j)
            }
        }
    }

    static func partial(head: KVHead, queries: UnsafePointer<Float>, group g: Int, rows: Range<Int>,
                        state: PartialState, item: Int) {
        switch head.dtype {
        case .float32: partial(Float.self, head: head, queries: queries, group: g, rows: rows, state: state, item: item)
        case .float16: partial(Float16.self, head: head, queries: queries, group: g, rows: rows, state: state, item: item)
        }
    }

    /// Online softmax over rows of one KV head for its G queries; leaves (max, sum, unnormalised
    /// accumulator) per query in `state` at `item`.
    static func partial<E: KVElement>(
        _: E.Type, head: KVHead, queries: UnsafePointer<Float>, group g: Int, rows: Range<Int>,
        state: PartialState, item: Int
    ) {
        let d = head.dim, B = blockRows
        let kb = head.keys, vb = head.values
        let scale = 1 / Float(d).squareRoot()
        // Queries pre-scaled by 1/√d: one multiply per query instead of one per score. Where the group's
        // last queries go through a padded four-query tile (`GroupScores.padsLastQueries`: Qwen2.5-0.5B's
        // 7 → 8), the zero queries are padded here once, not per block. Each query's scores are computed
        // the same way in either tile, so results do not change.
        let gs = GroupScores.padsLastQueries(g) ? g + 1 : g
        let qs = UnsafeMutablePointer<Float>.allocateLines(gs * d)
        let scores = UnsafeMutablePointer<Float>.allocateLines(2 * gs * B)
        defer { qs.deallocate(); scores.deallocate() }
        for i in 0..<(g * d) { qs[i] = queries[i] * scale }
        (qs + g * d).update(repeating: 0, count: (gs - g) * d)
        let m = state.maxima + item * g, l = state.sums + item * g
        // The V sums of a padded group run as whole four-query tiles too, into a local accumulator with
        // room for the zero query (whose weights are its raw scores, 0: it accumulates nothing).
        let padded = gs > g ? UnsafeMutablePointer<Float>.allocateLines(gs * d) : nil
        defer { padded?.deallocate() }
        let acc = padded ?? state.accumulators + item * g * d
        for j in 0..<g { m[j] = -.infinity; l[j] = 0 }
        acc.update(repeating: 0, count: gs * d)
        // Block b's scores are computed while block b − 1's V rows are summed (`computeAndAccumulate`, for
        // groups in whole four-query tiles), so `scores` is double-buffered: `current` gets block b's, `previous`
        // holds block b − 1's weights. Each block's rescaling still happens between its V sum and the next
        // block's, as in the two-pass order, so the results are the same bits.
        let fused = GroupScores.fusesPasses(gs)
        var current = scores, previous = scores + gs * B
        var start = rows.lowerBound, previousStart = 0, previousCount = 0
        while start < rows.upperBound || previousCount > 0 {
            let b = min(B, rows.upperBound - start)
            // K rows, then V rows, are requested `GroupScores.aheadBytes` ahead of the loop into L2, across block ends (`end`).
            let keyRows = ContiguousRows(first: start, end: rows.upperBound)
            let valueRows = ContiguousRows(first: previousStart, end: rows.upperBound)
            if fused && b > 0 && previousCount > 0 {
                GroupScores.computeAndAccumulate(E.self, keys: kb, keyRows: keyRows, keyCount: b, values: vb,
                                                 valueRows: valueRows, valueCount: previousCount, dim: d, queries: qs,
                                                 queryCount: gs, stride: B, scores: current, weights: previous, into: acc)
            } else {
                if previousCount > 0 {
                    GroupScores.accumulate(E.self, values: vb, rows: valueRows, count: previousCount, dim: d,
                                           weights: previous, queryCount: gs, stride: B, into: acc)
                }
                if b > 0 {
                    GroupScores.compute(E.self, keys: kb, rows: keyRows, count: b, dim: d, queries: qs,
                                        queryCount: gs, stride: B, into: current)
                }
            }
            if b > 0 {
                for j in 0..<g {
                    let s = current + j * B
                    let newMax = max(m[j], Softmax.maximum(s, count: b))
                    if newMax > m[j] {
                        // e^{m_old − m_new} rescales what was accumulated under the old maximum (0 at first).
                        let factor = m[j] == -.infinity ? 0 : expf(m[j] - newMax)
                        if factor != 1 {
                            l[j] *= factor
                            Vector.scale(acc + j * d, by: factor, count: d)
                        }
                        m[j] = newMax
                    }
                    Softmax.subtract(m[j], s, count: b)
                    l[j] += Exp.exp(s, into: s, count: b)
                }
            }
            swap(&current, &previous)
            previousStart = start
            previousCount = b
            start += b
        }
        if let padded { (state.accumulators + item * g * d).update(from: padded, count: g * d) }
    }
}

/// Per-item partial results of a split attention: max logit, Σ e^{ℓ − max}, Σ e^{ℓ − max}·v.
final class PartialState: @unchecked Sendable {
    let maxima: UnsafeMutablePointer<Float>
    let sums: UnsafeMutablePointer<Float>
    let accumulators: UnsafeMutablePointer<Float>
    let group: Int, dim: Int

    init(items: Int, group: Int, dim: Int) {
        maxima = .allocate(capacity: items * group)
        sums = .allocate(capacity: items * group)
        accumulators = .allocateLines(items * group * dim)
        self.group = group
        self.dim = dim
    }

    func deallocate() {
        maxima.deallocate()
        sums.deallocate()
        accumulators.deallocate()
    }

    /// Log-sum-exp merge of query j's partials over `items`; an empty set gives 0 and −∞.
    func merge(items: Range<Int>, query j: Int, into out: UnsafeMutablePointer<Float>, logSumExp: UnsafeMutablePointer<Float>) {
        var top = -Float.infinity
        for i in items { top = max(top, maxima[i * group + j]) }
        out.update(repeating: 0, count: dim)
        guard top > -.infinity else { logSumExp.pointee = -.infinity; return }
        var total: Float = 0
        for i in items where maxima[i * group + j] > -.infinity {
            let w = expf(maxima[i * group + j] - top)
            total += w * sums[i * group + j]
            Vector.axpy(w, accumulators + (i * group + j) * dim, out, count: dim)
        }
        Vector.scale(out, by: 1 / total, count: dim)
        logSumExp.pointee = top + logf(total)
    }
}
