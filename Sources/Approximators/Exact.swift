import Kernels

/// Full softmax attention over every key: the reference every method is measured against.
public struct ExactAttention: AttentionApproximator {
    public let method = "exact"
    public var isRandomized: Bool { false }
    public var parameters: [String: String] { [:] }

    public init() {}

    public func prepare(cache: HeadCache, context: HeadContext) -> any PreparedAttentionHead {
        PreparedExact(cache: cache)
    }
}

/// Runs `DecodeAttention`'s one-head kernel, the same code the bench and the model's dense layers
/// run: one streaming pass over K and V with an online softmax, the group's queries together.
final class PreparedExact: RowBufferedHead {
    let keys: RowBuffer
    let values: RowBuffer
    private let packedQueries = Scratch<Float>()
    private let outputs = Scratch<Float>()
    private let logSumExps = Scratch<Float>()
    private let scores = Scratch<Float>()

    init(cache: HeadCache) {
        keys = RowBuffer(dim: cache.headDim, rows: cache.keys)
        values = RowBuffer(dim: cache.headDim, rows: cache.values)
    }

    func attend(query: [Float], recordWeights: Bool) -> AttentionResult {
        attend(queries: [query], recordWeights: recordWeights)[0]
    }

    /// K and V stream once for the group. Query j's result does not depend on the group size
    /// (DecodeAttention keeps separate accumulators per query), so this equals per-query attends
    /// bit for bit.
    func attend(queries: [[Float]], recordWeights: Bool) -> [AttentionResult] {
        let n = keys.count, d = keys.dim, g = queries.count
        guard g > 0 else { return [] }
        let q = packedQueries.reserve(g * d), out = outputs.reserve(g * d), lse = logSumExps.reserve(g)
        for (j, query) in queries.enumerated() {
            precondition(query.count == d, "attend: query length \(query.count) must equal head_dim \(d)")
            query.withUnsafeBufferPointer { (q + j * d).update(from: $0.baseAddress!, count: d) }
        }
        DecodeAttention.attend(queries: q, group: g, head: head, rows: 0..<n, outputs: out, logSumExp: lse)
        let cost = AttentionCost(keysTotal: n, keysAttended: n, keysScored: n,
                                 flops: 4 * Double(d) * Double(n), costFraction: 1)
        return (0..<g).map { j in
            AttentionResult(output: Array(UnsafeBufferPointer(start: out + j * d, count: d)), logSumExp: lse[j],
                            cost: cost, weights: recordWeights ? weights(query: q + j * d, logSumExp: lse[j]) : nil)
        }
    }

    /// p_i = e^{q·k_i/√d − lse} for every key, from one more pass over K (only when recorded).
    private func weights(query: UnsafePointer<Float>, logSumExp lse: Float) -> SparseAttentionWeights {
        let n = keys.count, d = keys.dim
        let s = scores.reserve(max(n, 1))
        let q = UnsafeMutablePointer<Float>.allocateLines(d)
        defer { q.deallocate() }
        let scale = 1 / Float(d).squareRoot()
        for i in 0..<d { q[i] = query[i] * scale }
        TopKDecode.scores(head: head, queries: q, group: 1, rows: 0..<n, stride: n, into: s)
        Softmax.subtract(lse, s, count: n)
        _ = Exp.exp(s, into: s, count: n)
        return SparseAttentionWeights(indices: (0..<Int32(n)).map { $0 }, weights: Array(UnsafeBufferPointer(start: s, count: n)))
    }
}

extension ExactAttention {
    static let descriptor = MethodDescriptor(
        name: "exact", summary: "full softmax attention over every key (the reference)", parameters: []
    ) { _ in ExactAttention() }
}
