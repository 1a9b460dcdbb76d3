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

final class PreparedMagicPIG: RowBufferedHead {
    let keys: RowBuffer
    let values: RowBuffer
    let layout: CacheLayout
    let tables: SimHashTables
    let threshold: Int
    /// k̄ (zeros when centring is off or the middle is empty).
    let keyMean: [Float]
    /// ‖k_i − k̄‖ per middle key, for θ_i.
    let middleNorms: [Float]
    private let counters: UnsafeMutablePointer<UInt8>
    private let codes: UnsafeMutablePointer<UInt32>
    private let sampled = Scratch<Int32>()
    private let rows = Scratch<Int32>()
    private let logits = Scratch<Float>()
    private let projected = Scratch<Float>()

    init(cache: HeadCache, layout: CacheLayout, projection: SimHashProjection, threshold: Int, centering: Bool) {
        let d = cache.headDim, middle = layout.middle
        keys = RowBuffer(dim: d, rows: cache.keys)
        values = RowBuffer(dim: d, rows: cache.values)
        self.layout = layout
        self.threshold = threshold
        var mean = [Double](repeating: 0, count: d)
        if centering && !middle.isEmpty {
            for i in middle { for j in 0..<d { mean[j] += Double(cache.keys[i * d + j]) } }
            for j in 0..<d { mean[j] /= Double(middle.count) }
        }
        keyMean = mean.map { Float($0) }
        var centred = Array(cache.keys[(middle.lowerBound * d)..<(middle.upperBound * d)])
        for i in 0..<middle.count { for j in 0..<d { centred[i * d + j] -= keyMean[j] } }
        middleNorms = (0..<middle.count).map { i in
            centred.withUnsafeBufferPointer { Vector.norm($0.baseAddress! + i * d, count: d) }
        }
        tables = SimHashTables(rows: centred, projection: projection)
        counters = .allocate(capacity: max(middle.count, 1))
        counters.initialize(repeating: 0, count: max(middle.count, 1))
        codes = .allocate(capacity: projection.tables)
    }

    deinit {
        counters.deallocate()
        codes.deallocate()
    }


    /// Logits are formed with raw keys, q·k_i/√d, which differ from the specification's centred
    /// q·k̃_i/√d by the per-query constant q·k̄/√d: the softmax is identical and the log-sum-exp
    /// comes out directly in the raw-key space the merge needs.
    func attend(query: [Float], recordWeights: Bool) -> AttentionResult {
        let d = keys.dim, n = keys.count
        precondition(query.count == d, "attend: query length \(query.count) must equal head_dim \(d)")
        let K = tables.projection.bits, L = tables.projection.tables
        let scale = 1 / Float(d).squareRoot()
        let sink = layout.sink, localStart = layout.local.lowerBound, middleStart = layout.middle.lowerBound
        let nMiddle = layout.middle.count
        return query.withUnsafeBufferPointer { qb in
            let q = qb.baseAddress!
            var sCount = 0
            let s = sampled.reserve(max(nMiddle, 1))
            if nMiddle > 0 {
                tables.projection.codes(q, projected: projected.reserve(tables.projection.columnCount), into: codes)
                sCount = tables.retrieve(codes: codes, threshold: threshold, counters: counters, into: s)
            }
            let staticCount = sink.count + (n - localStart)
            let total = staticCount + sCount
            let r = rows.reserve(max(total, 1)), z = logits.reserve(max(total, 1))
            var t = 0
            for i in sink { r[t] = Int32(i); t += 1 }
            for i in localStart..<n { r[t] = Int32(i); t += 1 }
            SubsetAttention.scores(query: q, keys: keys, rows: r, count: staticCount, scale: scale, into: z)
            if sCount > 0 {
                let qNorm = Vector.norm(q, count: d)
                let qMean = keyMean.withUnsafeBufferPointer { Vector.dot(q, $0.baseAddress!, count: d) }
                middleNorms.withUnsafeBufferPointer { norms in
                    for e in 0..<sCount {
                        let m = Int(s[e]), row = middleStart + m
                        let dot = Vector.dot(q, keys.row(row), count: d)
                        let denominator = Double(qNorm) * Double(norms[m])
                        // A zero query or a key equal to k̄ has no angle; treat it as orthogonal.
                        let cosine = denominator > 0 ? Double(dot - qMean) / denominator : 0
                        let u = probabilityOfAtLeast(threshold, collisions: collisionProbability(cosine: cosine, K: K),
                                                     tables: L)
                        r[staticCount + e] = Int32(row)
                        z[staticCount + e] = dot * scale - Float(log(u + 1e-4))
                    }
                }
            }
            let (output, lse) = SubsetAttention.finish(logits: z, rows: r, count: total, values: values)
            let cost = AttentionCost(
                keysTotal: n, keysAttended: total, keysScored: total,
                flops: 2 * Double(d * K * L) + 4 * Double(d * total),
                costFraction: nMiddle > 0 ? Double(sCount) / Double(nMiddle) : 0, sampled: sCount)
            let weights = recordWeights ? SubsetAttention.weights(rows: r, probabilities: z, count: total) : nil
            return AttentionResult(output: output, logSumExp: lse, cost: cost, weights: weights)
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
