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

final class PreparedExact: PreparedAttentionHead {
    private var cache: HeadCache
    private var scratch: [Float] = []
    private let groupScratch = Scratch<Float>()
    private let packedQueries = Scratch<Float>()
    private let groupOutputs = Scratch<Float>()

    init(cache: HeadCache) { self.cache = cache }

    var tokenCount: Int { cache.count }

    func append(key: [Float], value: [Float]) { cache.append(key: key, value: value) }

    func attend(query: [Float], recordWeights: Bool) -> AttentionResult {
        let n = cache.count, d = cache.headDim
        if scratch.count < n { scratch = [Float](repeating: 0, count: max(n, 2 * scratch.count)) }
        var output = [Float](repeating: 0, count: d)
        let lse = DenseAttention.attend(query: query, cache: cache, scratch: &scratch, output: &output)
        let cost = AttentionCost(keysTotal: n, keysAttended: n, keysScored: n,
                                 flops: 4 * Double(d) * Double(n), costFraction: 1)
        let weights = recordWeights
            ? SparseAttentionWeights(indices: (0..<Int32(n)).map { $0 }, weights: Array(scratch[0..<n])) : nil
        return AttentionResult(output: output, logSumExp: lse, cost: cost, weights: weights)
    }

    /// The group's scores in one pass over K, each query's softmax, then one pass over V for
    /// every query (`AttentionKernel.weightedSum` with queryCount G): K and V stream from memory
    /// once per group instead of once per query head. Results equal per-query attends bit for bit
    /// (both kernels' sums do not depend on the batch size).
    func attend(queries: [[Float]], recordWeights: Bool) -> [AttentionResult] {
        let n = cache.count, d = cache.headDim, g = queries.count
        guard n > 0, g > 0 else { return queries.map { attend(query: $0, recordWeights: recordWeights) } }
        let outputs = groupOutputs.reserve(g * d)
        var lses = [Float](repeating: 0, count: g)
        let sc = cache.keys.withUnsafeBufferPointer { k in
            groupScores(queries, keys: k.baseAddress!, count: n, dim: d, into: groupScratch, packed: packedQueries)
        }
        for i in 0..<g { lses[i] = Softmax.inPlace(sc + i * n, count: n) }
        cache.values.withUnsafeBufferPointer { v in
            AttentionKernel.weightedSum(weights: sc, queryCount: g, count: n, values: v.baseAddress!, dim: d, into: outputs)
        }
        let cost = AttentionCost(keysTotal: n, keysAttended: n, keysScored: n,
                                 flops: 4 * Double(d) * Double(n), costFraction: 1)
        return (0..<g).map { i in
            let weights = recordWeights
                ? SparseAttentionWeights(indices: (0..<Int32(n)).map { $0 },
                                         weights: Array(UnsafeBufferPointer(start: sc + i * n, count: n))) : nil
            return AttentionResult(output: Array(UnsafeBufferPointer(start: outputs + i * d, count: d)),
                                   logSumExp: lses[i], cost: cost, weights: weights)
        }
    }
}

/// Exact attention over a whole HeadCache; leaves the softmax probabilities in scratch[0..<n].
enum DenseAttention {
    static func attend(query: [Float], cache: HeadCache, scratch: inout [Float], output: inout [Float]) -> Float {
        let n = cache.count, d = cache.headDim
        guard n > 0 else {
            output = [Float](repeating: 0, count: d)
            return -.infinity
        }
        let scale = 1 / Float(d).squareRoot()
        return query.withUnsafeBufferPointer { q in
            cache.keys.withUnsafeBufferPointer { k in
                cache.values.withUnsafeBufferPointer { v in
                    scratch.withUnsafeMutableBufferPointer { s in
                        output.withUnsafeMutableBufferPointer { o in
                            AttentionKernel.scores(query: q.baseAddress!, keys: k.baseAddress!, count: n, dim: d,
                                                   scale: scale, into: s.baseAddress!)
                            let lse = Softmax.inPlace(s.baseAddress!, count: n)
                            AttentionKernel.weightedSum(weights: s.baseAddress!, count: n, values: v.baseAddress!,
                                                        dim: d, into: o.baseAddress!)
                            return lse
                        }
                    }
                }
            }
        }
    }
}

extension ExactAttention {
    static let descriptor = MethodDescriptor(
        name: "exact", summary: "full softmax attention over every key (the reference)", parameters: []
    ) { _ in ExactAttention() }
}
