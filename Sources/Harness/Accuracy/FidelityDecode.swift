import Engine
import Kernels

/// Greedy decoding of one answer, measured against the exact reference's answer to the same prompt.
///
/// Fidelity needs no second decode: while a method's greedy tokens equal the reference's, both models are
/// conditioned on the same ids, so their next-token distributions are directly comparable. The KL term is
/// taken at those steps (always at least the first), and agreement is the share of the reference's tokens
/// the method reproduces before the first difference.
public enum FidelityDecode {
    /// The reference answer: its ids and, per step, the log-softmax of the logits that chose each id.
    public struct Reference: Sendable {
        public var tokens: [Int]
        public var logProbabilities: [[Float]]
    }

    public struct Outcome: Sendable {
        public var tokens: [Int]
        /// Leading tokens identical to the reference's, over the reference's length (1 for the reference).
        public var agreement: Double
        /// Mean KL(reference ‖ method) in nats over the steps decoded on the reference's prefix.
        public var meanKL: Double
        public var klSteps: Int
    }

    /// Greedy decoding (stop tokens included in the answer, as `DecodeSession.greedy`), recording each
    /// step's distribution: what a reference run keeps.
    public static func reference(_ session: DecodeSession, maxTokens: Int, stop: Set<Int>) throws -> Reference {
        var reference = Reference(tokens: [], logProbabilities: [])
        try run(session, maxTokens: maxTokens, stop: stop) { step, logits, next in
            reference.logProbabilities.append(logSoftmax(logits))
            reference.tokens.append(next)
        }
        return reference
    }

    /// Greedy decoding compared step by step with `reference`.
    public static func decode(_ session: DecodeSession, maxTokens: Int, stop: Set<Int>, against reference: Reference) throws -> Outcome {
        var tokens: [Int] = []
        var onPrefix = true, agreeing = 0, klSum = 0.0, klSteps = 0
        try run(session, maxTokens: maxTokens, stop: stop) { step, logits, next in
            if onPrefix, step < reference.tokens.count {
                klSum += kl(reference.logProbabilities[step], logSoftmax(logits))
                klSteps += 1
                if reference.tokens[step] == next { agreeing += 1 } else { onPrefix = false }
            } else {
                onPrefix = false
            }
            tokens.append(next)
        }
        return Outcome(tokens: tokens, agreement: Double(agreeing) / Double(max(1, reference.tokens.count)),
                       meanKL: klSteps == 0 ? 0 : klSum / Double(klSteps), klSteps: klSteps)
    }

    /// The greedy loop (the session's own greedy choice, as `DecodeSession.greedy`): `record` sees each step's
    /// logits and the token taken; the last token is not fed back.
    static func run(_ session: DecodeSession, maxTokens: Int, stop: Set<Int>,
                    record: (Int, [Float], Int) -> Void) throws {
        var step = 0
        while step < maxTokens {
            let next = session.greedyToken
            record(step, session.nextLogits, next)
            step += 1
            if stop.contains(next) || step == maxTokens { break }
            try session.step(next)
        }
    }

    static func logSoftmax(_ logits: [Float]) -> [Float] {
        let lse = logits.withUnsafeBufferPointer { Softmax.logSumExp($0.baseAddress!, count: $0.count) }
        return logits.map { $0 - lse }
    }

    /// KL(p ‖ q) = Σ p (log p − log q) from log-probabilities, in Double.
    static func kl(_ logP: [Float], _ logQ: [Float]) -> Double {
        var sum = 0.0
        for i in 0..<logP.count {
            let lp = Double(logP[i])
            if lp < -60 { continue }  // p < 1e-26: no contribution at Double precision
            sum += exp(lp) * (lp - Double(logQ[i]))
        }
        return max(0, sum)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
