import Approximators
import Datasets
import Kernels

/// Exact attention for every captured query of one layer: the truth each method is measured
/// against, and how concentrated that truth is.
public struct ExactReference: Sendable {
    public struct Query: Sendable {
        public var output: [Float]
        /// Exact softmax weight of every key the query attends, index = key position.
        public var weights: [Float]
        /// Entropy of the weights divided by ln(n): 0 = one key, 1 = uniform.
        public var normalizedEntropy: Double
        /// Mass of the top `recallFraction` of keys (at least one key).
        public var topMass: Double
        /// Indices of those top keys (for recall).
        public var topIndices: [Int32]
    }

    public let numHeads: Int
    public let queryCount: Int
    /// Indexed [head * queryCount + step].
    public let queries: [Query]

    public func query(head: Int, step: Int) -> Query { queries[head * queryCount + step] }

    public static func compute(layer: CaptureLayer, sample: CaptureSampleInfo, recallFraction: Double, threads: Int) -> ExactReference {
        let s = layer.queryCount, h = layer.numHeads
        let slots = UnsafeMutablePointer<Query?>.allocate(capacity: h * s)
        slots.initialize(repeating: nil, count: h * s)
        defer { slots.deinitialize(count: h * s); slots.deallocate() }
        let out = SendablePointer(slots)
        Parallel.forEach(layer.numKVHeads, threads: threads) { kv in
            HeadReplay(layer: layer, sample: sample, kvHead: kv)
                .run(ExactAttention(), seed: 0, protocol: AttentionProtocol(), recordWeights: true) { head, step, result in
                    out.pointer[head * s + step] = summarise(result, recallFraction: recallFraction)
                }
        }
        return ExactReference(numHeads: h, queryCount: s, queries: (0..<(h * s)).map { slots[$0]! })
    }

    static func summarise(_ result: AttentionResult, recallFraction: Double) -> Query {
        let weights = result.weights!.weights
        let n = weights.count
        var entropy = 0.0
        for w in weights where w > 0 { entropy -= Double(w) * log(Double(w)) }
        let k = max(1, Int((recallFraction * Double(n)).rounded(.up)))
        var top = [Int32](repeating: 0, count: min(k, n))
        weights.withUnsafeBufferPointer { w in
            top.withUnsafeMutableBufferPointer { TopKDecode.largest(w.baseAddress!, count: n, k: $0.count, into: $0.baseAddress!) }
        }
        let mass = top.reduce(0.0) { $0 + Double(weights[Int($1)]) }
        return Query(output: result.output, weights: weights,
                     normalizedEntropy: n > 1 ? entropy / log(Double(n)) : 0, topMass: mass, topIndices: top)
    }
}

import Foundation
