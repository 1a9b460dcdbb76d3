import Foundation
import Kernels

/// MagicPIG's CPU part for every query head of one layer: per KV head, SimHash tables over the
/// centred middle keys (built once after prefill), then per decode step and query head: the
/// query's L codes, retrieval of S with the ≥ threshold collision rule, importance-weighted logits
/// q·k_i/√d − ln(u_i + 1e−4) over the gathered rows, softmax and Σ p_i·v_i with its log-sum-exp.
/// KV heads run in parallel (thread count chosen at run time), each with its GQA group's queries
/// sharing one gather of the rows they sampled (`MagicPIGIndex.attend(queries:group:…)`).
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
    /// Whether every KV head uses the same W: then all query heads are hashed in one product.
    let sharedProjection: Bool
    let heads: [MagicPIGIndex]
    /// One scratch per worker thread (grown on the first step), so the retrieval counters and
    /// buffers stay in that core's caches; steps run one at a time.
    private var scratch: [MagicPIGScratch] = []

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
            built.set(h, MagicPIGIndex(middleKeys: cache.keys(kvHead: h, rows: middle), middle: middle, projection: ws[h],
                                       threshold: threshold, centering: centering, segmentRows: segmentRows))
        }
        self.cache = cache
        self.layout = layout
        self.threshold = threshold
        self.projections = ws
        sharedProjection = projections.count == 1 || ws.allSatisfy { $0 == ws[0] }
        heads = built.heads.map { $0! }
    }

    public var tables: [SegmentedSimHashTables] { heads.map(\.tables) }

    /// Hash-table bytes over all KV heads.
    public var tableBytes: Int { heads.reduce(0) { $0 + $1.tables.bytes } }

    /// One decode step: queries [H·dim] → outputs [H·dim], lse [H], |S| per query head, and per KV head the
    /// rows its group read (|T ∪ ∪_j S_j|: each read once, however many of the group's queries sampled it).
    public func attend(queries: [Float], includeStatic: Bool = true, threads: Int = Parallel.defaultThreadCount)
        -> (outputs: [Float], logSumExp: [Float], sampled: [Int], rowsRead: [Int]) {
        let d = cache.dim, hkv = cache.kvHeads, L = projections[0].tables, kl = projections[0].columnCount
        precondition(queries.count % (d * hkv) == 0, "MagicPIGDecode: queries must be [heads, \(d)] with heads a multiple of \(hkv)")
        let heads = queries.count / d, g = heads / hkv
        while scratch.count < Parallel.workers(hkv, threads: threads) { scratch.append(MagicPIGScratch()) }
        let out = UnsafeMutablePointer<Float>.allocateLines(heads * d)
        let lse = UnsafeMutablePointer<Float>.allocate(capacity: heads)
        let sampled = UnsafeMutablePointer<Int>.allocate(capacity: heads)
        let read = UnsafeMutablePointer<Int>.allocate(capacity: hkv)
        read.initialize(repeating: 0, count: hkv)
        let codes = UnsafeMutablePointer<UInt32>.allocate(capacity: heads * L)
        let projected = UnsafeMutablePointer<Float>.allocateLines(heads * kl)
        defer { out.deallocate(); lse.deallocate(); sampled.deallocate(); read.deallocate(); codes.deallocate(); projected.deallocate() }
        let op = SendablePointer(out), lp = SendablePointer(lse), sp = SendablePointer(sampled), rp = SendablePointer(read)
        let cp = SendablePointer(codes), pp = SendablePointer(projected)
        let staticRows = includeStatic ? layout.staticRanges(count: cache.count) : (0..<0, 0..<0)
        queries.withUnsafeBufferPointer { qb in
            let q = SendablePointer(UnsafeMutablePointer(mutating: qb.baseAddress!))
            if !layout.middle.isEmpty {
                // Query hashing: with one W, the heads in one product per worker (W, 768 KB at d 128 K10 L150,
                // read once per worker rather than once per head; a product's rows do not depend on how the
                // heads are split, so the codes do not either); else each KV head's group with its own W.
                let items = sharedProjection ? Parallel.workers(heads, threads: threads) : hkv
                Parallel.forEach(items, threads: threads) { item in
                    let first = sharedProjection ? heads * item / items : item * g
                    let rows = sharedProjection ? heads * (item + 1) / items - first : g
                    self.projections[sharedProjection ? 0 : item].codes(q.pointer + first * d, rows: rows,
                                                                          projected: pp.pointer + first * kl,
                                                                          into: cp.pointer + first * L)
                }
            }
            // One item per KV head: its GQA group's queries share each gathered row (`MagicPIGIndex`).
            let scratch = self.scratch
            Parallel.forEach(hkv, threads: threads) { worker, h in
                withUnsafeTemporaryAllocation(of: MagicPIGResult.self, capacity: g) { results in
                    self.heads[h].attend(queries: q.pointer + h * g * d, group: g, codes: cp.pointer + h * g * L,
                                         head: self.cache.head(h), staticRows: staticRows, scratch: scratch[worker],
                                         outputs: op.pointer + h * g * d, results: results.baseAddress!)
                    for j in 0..<g {
                        lp.pointer[h * g + j] = results[j].logSumExp
                        sp.pointer[h * g + j] = results[j].sampled
                    }
                    rp.pointer[h] = g > 0 ? results[0].groupRows : 0
                }
            }
        }
        return (Array(UnsafeBufferPointer(start: out, count: heads * d)), Array(UnsafeBufferPointer(start: lse, count: heads)),
                Array(UnsafeBufferPointer(start: sampled, count: heads)), Array(UnsafeBufferPointer(start: read, count: hkv)))
    }
}

/// Per-head build results gathered from the worker threads.
private final class BuiltHeads: @unchecked Sendable {
    var heads: [MagicPIGIndex?]
    let lock = NSLock()
    init(_ n: Int) { heads = Array(repeating: nil, count: n) }
    func set(_ h: Int, _ index: MagicPIGIndex) {
        lock.lock(); defer { lock.unlock() }
        heads[h] = index
    }
}
