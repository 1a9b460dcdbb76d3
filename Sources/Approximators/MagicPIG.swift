import Foundation
import Kernels

/// MagicPIG (Chen et al., ICLR 2025): LSH sampling with importance weights over the middle of
/// the cache, exact attention over the static set T = sink ∪ local window ∪ generated.
/// Semantics follow shared/reference/magicpig.md; deviations are listed in docs/methods.md.
public struct MagicPIG: AttentionApproximator {
    /// How W is shared: one matrix for every layer and head (the authors' system) or one per
    /// (layer, KV head).
    public enum Projections: String, Sendable, CaseIterable {
        case shared
        case perKVHead = "per_kv_head"
    }

    public let method = "magicpig"
    /// Random projections make the sample set seed-dependent, unless W is given explicitly.
    public var isRandomized: Bool { explicitProjection == nil }
    /// K: bits per table.
    public let bits: Int
    /// L: tables.
    public let tables: Int
    /// Collisions needed to enter S: 2 (authors) or 1 (sparse-attention-hub).
    public let threshold: Int
    /// Hash k − k̄ (mean of the middle keys) instead of k.
    public let centering: Bool
    public let projections: Projections
    /// A fixed W for every head (tests against the numpy reference); overrides `projections`.
    public let explicitProjection: SimHashProjection?

    public init(K: Int = 10, L: Int = 150, threshold: Int = 2, centering: Bool = true,
                projections: Projections = .shared) throws {
        try MagicPIG.check(K: K, L: L, threshold: threshold)
        bits = K
        tables = L
        self.threshold = threshold
        self.centering = centering
        self.projections = projections
        explicitProjection = nil
    }

    /// MagicPIG with a given W (its K and L are the projection's).
    public init(projection: SimHashProjection, threshold: Int = 2, centering: Bool = true) throws {
        try MagicPIG.check(K: projection.bits, L: projection.tables, threshold: threshold)
        bits = projection.bits
        tables = projection.tables
        self.threshold = threshold
        self.centering = centering
        projections = .shared
        explicitProjection = projection
    }

    static func check(K: Int, L: Int, threshold: Int) throws {
        guard (1...16).contains(K) else {
            throw ApproximatorError.badParameter(method: "magicpig", name: "K",
                                                 reason: "\(K) is outside 1...16 (bucket offsets need 2^K entries per table)")
        }
        guard L >= 1 else {
            throw ApproximatorError.badParameter(method: "magicpig", name: "L", reason: "\(L) tables; need at least 1")
        }
        guard threshold == 1 || threshold == 2 else {
            throw ApproximatorError.badParameter(method: "magicpig", name: "threshold",
                                                 reason: "\(threshold) collisions; use 2 (authors) or 1")
        }
    }

    public var parameters: [String: String] {
        ["K": String(bits), "L": String(tables), "threshold": String(threshold), "centering": String(centering),
         "projections": explicitProjection == nil ? projections.rawValue : "explicit"]
    }

    /// W for a head: shared draws from the run seed alone, per_kv_head from (seed, layer, kvHead).
    public func projection(dim: Int, context: HeadContext) -> SimHashProjection {
        if let explicitProjection { return explicitProjection }
        var generator: SeededGenerator
        switch projections {
        case .shared: generator = SeededGenerator(seed: context.seed, stream: [StreamTag.simHash])
        case .perKVHead:
            generator = SeededGenerator(seed: context.seed,
                                        stream: [StreamTag.simHash, UInt64(context.layer), UInt64(context.kvHead)])
        }
        return SimHashProjection(dim: dim, bits: bits, tables: tables, generator: &generator)
    }

    public func prepare(cache: HeadCache, context: HeadContext) -> any PreparedAttentionHead {
        let w = projection(dim: cache.headDim, context: context)
        precondition(w.dim == cache.headDim, "magicpig: W has \(w.dim) rows but head_dim is \(cache.headDim)")
        return PreparedMagicPIG(cache: cache, layout: context.attentionProtocol.layout(promptLength: cache.count),
                                projection: w, threshold: threshold, centering: centering)
    }
}

/// One KV head in replay or in a model's decode loop: `MagicPIGIndex`'s step (the one
/// `MagicPIGDecode` runs) over the head's own rows, the group's queries hashed in one product.
final class PreparedMagicPIG: RowBufferedHead {
    let keys: RowBuffer
    let values: RowBuffer
    let layout: CacheLayout
    let index: MagicPIGIndex
    private let scratch = MagicPIGScratch()
    private let codes = Scratch<UInt32>()
    private let projected = Scratch<Float>()
    private let packedQueries = Scratch<Float>()

    init(cache: HeadCache, layout: CacheLayout, projection: SimHashProjection, threshold: Int, centering: Bool) {
        let d = cache.headDim, middle = layout.middle
        keys = RowBuffer(dim: d, rows: cache.keys)
        values = RowBuffer(dim: d, rows: cache.values)
        self.layout = layout
        index = MagicPIGIndex(middleKeys: Array(cache.keys[(middle.lowerBound * d)..<(middle.upperBound * d)]),
                              middle: middle, projection: projection, threshold: threshold, centering: centering)
    }

    func attend(query: [Float], recordWeights: Bool) -> AttentionResult {
        attend(queries: [query], recordWeights: recordWeights)[0]
    }

    /// Codes do not depend on how many rows share the product (MatrixProduct sums each element in
    /// the same order), so a group's attend equals its queries' single attends.
    func attend(queries: [[Float]], recordWeights: Bool) -> [AttentionResult] {
        let d = keys.dim, n = keys.count, g = queries.count
        let w = index.projection, K = w.bits, L = w.tables, nMiddle = layout.middle.count
        let q = packedQueries.reserve(max(g * d, 1)), c = codes.reserve(max(g * L, 1))
        for (j, query) in queries.enumerated() {
            precondition(query.count == d, "attend: query length \(query.count) must equal head_dim \(d)")
            query.withUnsafeBufferPointer { (q + j * d).update(from: $0.baseAddress!, count: d) }
        }
        if nMiddle > 0 && g > 0 { w.codes(q, rows: g, projected: projected.reserve(g * w.columnCount), into: c) }
        let staticRows = layout.staticRanges(count: n)
        var outputs = [Float](repeating: 0, count: g * d)
        var results = [MagicPIGResult](repeating: MagicPIGResult(logSumExp: 0, sampled: 0, total: 0), count: g)
        outputs.withUnsafeMutableBufferPointer { o in
            results.withUnsafeMutableBufferPointer { r in
                index.attend(queries: q, group: g, codes: c, head: head, staticRows: staticRows, scratch: scratch,
                             outputs: o.baseAddress!, results: r.baseAddress!)
            }
        }
        let stride = index.scratchStride(staticRows: staticRows)
        return (0..<g).map { j in
            let r = results[j]
            let cost = AttentionCost(
                keysTotal: n, keysAttended: r.total, keysScored: r.total,
                flops: 2 * Double(d * K * L) + 4 * Double(d * r.total),
                costFraction: nMiddle > 0 ? Double(r.sampled) / Double(nMiddle) : 0, sampled: r.sampled)
            let weights = recordWeights
                ? SubsetAttention.weights(rows: scratch.rows.pointer + j * stride, probabilities: scratch.logits.pointer + j * stride,
                                          count: r.total) : nil
            return AttentionResult(output: Array(outputs[(j * d)..<((j + 1) * d)]), logSumExp: r.logSumExp, cost: cost,
                                   weights: weights)
        }
    }
}

extension MagicPIG {
    static let descriptor = MethodDescriptor(
        name: "magicpig",
        summary: "LSH sampling (SimHash K bits × L tables) with importance weights over the middle; sink, local window and generated tokens exact",
        parameters: [
            ParameterDoc("K", "bits per hash table, 1...16", default: "10"),
            ParameterDoc("L", "number of hash tables", default: "150"),
            ParameterDoc("threshold", "table collisions a key needs to be sampled: 2 (authors) or 1", default: "2"),
            ParameterDoc("centering", "hash keys minus the mean middle key", default: "true"),
            ParameterDoc("projections", "shared (one W for all layers and heads, the authors' system) or per_kv_head",
                         default: "shared"),
        ]
    ) { p in
        let K = try p.int("K", default: 10, range: 1...16)
        let L = try p.int("L", default: 150, range: 1...100_000)
        let threshold = try p.int("threshold", default: 2, range: 1...2)
        let centering = try p.bool("centering", default: true)
        let projections = try p.choice("projections", Projections.allCases.map(\.rawValue), default: "shared")
        return try MagicPIG(K: K, L: L, threshold: threshold, centering: centering,
                            projections: Projections(rawValue: projections)!)
    }
}
