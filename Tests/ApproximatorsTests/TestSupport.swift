import Foundation
@testable import Approximators
import Kernels

/// Random rows with an optional common offset (real keys have a large shared mean, the reason
/// MagicPIG centres them).
func randomRows(_ count: Int, _ dim: Int, seed: UInt64, offset: Float = 0, scale: Float = 1) -> [Float] {
    var g = SeededGenerator(seed: seed)
    return g.gaussians(count * dim).map { $0 * scale + offset }
}

func context(seed: UInt64 = 1, layer: Int = 0, kvHead: Int = 0, sink: Int = 4, local: Int = 64) -> HeadContext {
    HeadContext(layer: layer, kvHead: kvHead, seed: seed,
                attentionProtocol: AttentionProtocol(sinkTokens: sink, localWindow: local))
}

/// Softmax attention in Double over the given rows with per-row logit corrections.
func naiveAttention(query: [Float], keys: [Float], values: [Float], dim d: Int, rows: [Int],
                    bias: [Double]? = nil) -> (output: [Double], lse: Double) {
    guard !rows.isEmpty else { return ([Double](repeating: 0, count: d), -.infinity) }
    let logits = rows.enumerated().map { (e, i) -> Double in
        var s = 0.0
        for j in 0..<d { s += Double(query[j]) * Double(keys[i * d + j]) }
        return s / Double(d).squareRoot() + (bias?[e] ?? 0)
    }
    let m = logits.max()!
    let w = logits.map { exp($0 - m) }
    let total = w.reduce(0, +)
    var out = [Double](repeating: 0, count: d)
    for (e, i) in rows.enumerated() { for j in 0..<d { out[j] += w[e] / total * Double(values[i * d + j]) } }
    return (out, m + log(total))
}

func maxAbsDifference(_ a: [Float], _ b: [Double]) -> Double {
    zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
}

func norm(_ x: [Double]) -> Double { x.map { $0 * $0 }.reduce(0, +).squareRoot() }
