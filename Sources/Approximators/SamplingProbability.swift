import Foundation

/// MagicPIG's probability that key i lands in the sampled set S(q) (shared/reference/magicpig.md):
/// θ = arccos(cos), p = (1 − θ/π)^K collides in one table, and
/// u = P[Binomial(L, p) ≥ threshold] = 1 − (1 − p)^L − L·p·(1 − p)^(L−1) for threshold 2,
/// 1 − (1 − p)^L for threshold 1.
///
/// (1 − p)^L is computed as exp(L·log1p(−p)) and 1 − (1 − p)^L as −expm1(L·log1p(−p)): with
/// p ≈ 1e−4 and L = 150 the naive forms lose most significant digits to cancellation.
public func samplingProbability(cosine: Double, K: Int, L: Int, threshold: Int = 2) -> Double {
    precondition(K >= 1 && L >= 1, "samplingProbability: K and L must be positive")
    precondition(threshold == 1 || threshold == 2, "samplingProbability: threshold must be 1 or 2")
    let c = cosine.isNaN ? 0 : min(1, max(-1, cosine))
    let p = collisionProbability(cosine: c, K: K)
    return probabilityOfAtLeast(threshold, collisions: p, tables: L)
}

/// P[one K-bit SimHash code of x equals that of y] for cos∠(x, y) = cosine: (1 − θ/π)^K.
@inline(__always)
func collisionProbability(cosine: Double, K: Int) -> Double {
    let theta = acos(min(1, max(-1, cosine)))
    return pow(1 - theta / Double.pi, Double(K))
}

/// P[Binomial(L, p) ≥ threshold] for threshold 1 or 2.
@inline(__always)
func probabilityOfAtLeast(_ threshold: Int, collisions p: Double, tables L: Int) -> Double {
    if p <= 0 { return 0 }
    if p >= 1 { return L >= threshold ? 1 : 0 }
    let logMiss = log1p(-p)                        // log(1 − p)
    let atLeastOne = -expm1(Double(L) * logMiss)   // 1 − (1 − p)^L
    if threshold == 1 { return atLeastOne }
    let exactlyOne = Double(L) * p * exp(Double(L - 1) * logMiss)
    return min(1, max(0, atLeastOne - exactlyOne))
}
