import Foundation

/// Softmax with its log-sum-exp, the quantity that lets partial attention outputs merge exactly:
/// for disjoint key sets A and B, o = (e^{lse_A}·o_A + e^{lse_B}·o_B) / (e^{lse_A} + e^{lse_B}).
public enum Softmax {
    /// Replaces `logits[0..<count]` by their softmax and returns log Σ exp(logits).
    /// An empty input returns -infinity (a part with no keys carries zero weight in a merge).
    @inlinable
    @discardableResult
    public static func inPlace(_ logits: UnsafeMutablePointer<Float>, count: Int) -> Float {
        guard count > 0 else { return -.infinity }
        let maxLogit = maximum(logits, count: count)
        guard maxLogit > -.infinity else {
            // Every logit is -inf: no key carries weight; keep the old uniform-free result
            // (expf(-inf - -inf) = NaN) out of the vector path.
            for i in 0..<count { logits[i] = .nan }
            return .nan
        }
        subtract(maxLogit, logits, count: count)
        let sum = Exp.exp(logits, into: logits, count: count)
        Vector.scale(logits, by: 1 / sum, count: count)
        return maxLogit + logf(sum)
    }

    /// max_i x[i] (−inf for an all −inf input), with SIMD accumulators.
    @inlinable
    public static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var m0 = SIMD16<Float>(repeating: -.infinity), m1 = m0
        var i = 0
        let r = UnsafeRawPointer(x)
        while i + 32 <= count {
            m0 = SIMDBits.max(m0, r.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
            m1 = SIMDBits.max(m1, r.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self))
            i += 32
        }
        var m = SIMDBits.max(m0, m1).max()
        while i < count {
            if x[i] > m { m = x[i] }
            i += 1
        }
        return m
    }

    @inlinable
    public static func subtract(_ c: Float, _ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let r = UnsafeMutableRawPointer(x), v = SIMD16<Float>(repeating: c)
        while i + 16 <= count {
            r.storeBytes(of: r.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) - v,
                         toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count { x[i] -= c; i += 1 }
    }

    /// log Σ exp(logits) without modifying the input.
    @inlinable
    public static func logSumExp(_ logits: UnsafePointer<Float>, count: Int) -> Float {
        guard count > 0 else { return -.infinity }
        let maxLogit = maximum(logits, count: count)
        guard maxLogit > -.infinity else { return .nan }
        var sum: Float = 0
        var block = SIMD16<Float>()
        var i = 0
        while i < count {
            let w = min(16, count - i)
            block = SIMD16(repeating: -.infinity)
            for j in 0..<w { block[j] = logits[i + j] - maxLogit }
            sum += Exp.exp(block).sum()
            i += 16
        }
        return maxLogit + logf(sum)
    }

    /// Softmax of an array, returned with its log-sum-exp.
    public static func of(_ logits: [Float]) -> (probabilities: [Float], logSumExp: Float) {
        var p = logits
        let lse = p.withUnsafeMutableBufferPointer { inPlace($0.baseAddress!, count: $0.count) }
        return (p, lse)
    }

    /// Merges two partial attention outputs over disjoint key sets by their log-sum-exps.
    /// Returns the joint output and joint log-sum-exp. A part with lse = -inf has weight 0.
    public static func merge(
        _ a: [Float], logSumExp lseA: Float, _ b: [Float], logSumExp lseB: Float
    ) -> (output: [Float], logSumExp: Float) {
        precondition(a.count == b.count, "merge: output lengths differ")
        if lseA == -.infinity { return (b, lseB) }
        if lseB == -.infinity { return (a, lseA) }
        let m = max(lseA, lseB)
        let wa = expf(lseA - m), wb = expf(lseB - m)
        let total = wa + wb
        var out = [Float](repeating: 0, count: a.count)
        for i in 0..<a.count { out[i] = (wa * a[i] + wb * b[i]) / total }
        return (out, m + logf(total))
    }
}
