import Approximators
import Foundation

/// How far one approximate attention output is from the exact one, and what it cost.
/// One row of metrics.csv.
public struct QueryMetrics: Codable, Sendable {
    public var capture: String
    public var sample: Int
    public var layer: Int
    public var head: Int
    public var kvHead: Int
    public var step: Int
    public var position: Int
    public var keys: Int
    /// The layer is in protocol.dense_layers, so the method ran as exact attention.
    public var dense: Bool
    public var config: String
    public var seed: UInt64
    /// ‖ô − o‖ / ‖o‖.
    public var relL2: Double
    /// 1 − cos(ô, o).
    public var oneMinusCos: Double
    /// ½ Σ |ŵ_i − w_i| between effective and exact attention weights.
    public var tv: Double?
    /// Fraction of the exact top keys (recall_fraction of all keys) that the method attended.
    public var recall: Double?
    public var costFraction: Double
    public var keysAttendedFraction: Double
    public var keysScoredFraction: Double
    public var flops: Double
    public var sampled: Int?
    public var exactEntropy: Double
    public var exactTopMass: Double
    /// Exact weight of the heaviest key a sampling method can miss (`TopKey`), and — for MagicPIG — the
    /// probability u that its configuration samples that key. nil in cells written before they were kept.
    public var topKeyMass: Double?
    public var topKeyU: Double?

    public var concentration: Concentration { Concentration(topMass: exactTopMass) }

    /// Compares `result` with the exact reference for the same query.
    public static func measure(_ result: AttentionResult, against exact: ExactReference.Query) -> (relL2: Double, oneMinusCos: Double, tv: Double?, recall: Double?) {
        var diff = 0.0, ref = 0.0, est = 0.0, dot = 0.0
        for i in 0..<exact.output.count {
            let a = Double(result.output[i]), b = Double(exact.output[i])
            diff += (a - b) * (a - b)
            ref += b * b
            est += a * a
            dot += a * b
        }
        let relL2 = ref > 0 ? (diff / ref).squareRoot() : diff.squareRoot()
        let cosine = (ref > 0 && est > 0) ? dot / (ref * est).squareRoot() : (ref == est ? 1 : 0)
        guard let weights = result.weights else { return (relL2, 1 - cosine, nil, nil) }

        // TV over all keys: keys the method never attended contribute their full exact weight.
        var exactCovered = 0.0, absDiff = 0.0
        var attended = [Bool](repeating: false, count: exact.weights.count)
        for (index, w) in zip(weights.indices, weights.weights) {
            let i = Int(index)
            guard i < exact.weights.count, !attended[i] else { continue }
            attended[i] = true
            exactCovered += Double(exact.weights[i])
            absDiff += abs(Double(w) - Double(exact.weights[i]))
        }
        let exactTotal = exact.weights.reduce(0.0) { $0 + Double($1) }
        let tv = 0.5 * (max(0, exactTotal - exactCovered) + absDiff)
        let hits = exact.topIndices.reduce(0) { $0 + (attended[Int($1)] ? 1 : 0) }
        return (relL2, 1 - cosine, tv, Double(hits) / Double(max(1, exact.topIndices.count)))
    }
}

/// How concentrated exact attention is, by the mass of its top 2 % of keys. Sampling is
/// expected to win where attention is spread out and TopK where it is concentrated, so every
/// summary is also split by this.
public enum Concentration: String, Codable, Sendable, CaseIterable {
    case spread        // top-2 % mass < 0.5
    case mixed         // 0.5 ≤ mass < 0.8
    case concentrated  // mass ≥ 0.8

    public init(topMass: Double) {
        self = topMass < 0.5 ? .spread : (topMass < 0.8 ? .mixed : .concentrated)
    }
}
