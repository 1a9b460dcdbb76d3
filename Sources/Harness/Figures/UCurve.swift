import Approximators

/// Paper figure: the probability u that a key at a given cosine to the query is sampled,
/// for the paper's (K, L) pairs (magicpig.md, "Sampling probability and estimator").
public enum UCurve {
    public static func table(_ spec: UCurveSpec) -> CSVTable {
        var table = CSVTable(columns: ["K", "L", "threshold", "cosine", "u"])
        let steps = Int((2 / spec.cosineStep).rounded())
        for (k, l) in spec.pairs {
            for i in 0...steps {
                let cosine = min(1, -1 + Double(i) * spec.cosineStep)
                let u = samplingProbability(cosine: cosine, K: k, L: l, threshold: spec.threshold)
                table.append([String(k), String(l), String(spec.threshold), Format.number(cosine), Format.number(u)])
            }
        }
        return table
    }
}
