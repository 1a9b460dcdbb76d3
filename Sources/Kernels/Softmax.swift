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
        var maxLogit = -Float.infinity
        for i in 0..<count where logits[i] > maxLogit { maxLogit = logits[i] }
        var sum: Float = 0
        for i in 0..<count {
            let e = expf(logits[i] - maxLogit)
            logits[i] = e
            sum += e
        }
        let inv = 1 / sum
        for i in 0..<count { logits[i] *= inv }
        return maxLogit + logf(sum)
    }

    /// log Σ exp(logits) without modifying the input.
    @inlinable
    public static func logSumExp(_ logits: UnsafePointer<Float>, count: Int) -> Float {
        guard count > 0 else { return -.infinity }
        var maxLogit = -Float.infinity
        for i in 0..<count where logits[i] > maxLogit { maxLogit = logits[i] }
        var sum: Float = 0
        for i in 0..<count { sum += expf(logits[i] - maxLogit) }
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
