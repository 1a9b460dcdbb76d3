import Approximators
import Datasets

/// The key exact attention weighs most, among those a sampling method can miss (the middle of the prepared
/// prompt: not sink, not local window, not generated), and its geometry as MagicPIG sees it.
///
/// Why: MagicPIG samples a key with a probability u that depends only on the angle between the query and the
/// centred key (`samplingProbability`). Where one key carries much of the attention (a retrieved needle),
/// missing it loses the answer, so u of that key is the number that says whether the method can work on a
/// model: `top_key_u` near 1 means the key is almost always sampled.
public struct TopKey: Sendable, Equatable {
    /// Exact softmax weight of that key.
    public var mass: Double
    /// cos∠(q, k_top − k̄), k̄ the mean middle key of the prepared prompt (MagicPIG's centring).
    public var centredCosine: Double
    /// cos∠(q, k_top), uncentred (for a method configured without centring).
    public var rawCosine: Double

    /// Per (head, step) of one layer, the query order of `ExactReference` ([head * queryCount + step]); nil where
    /// the middle is empty.
    public static func compute(layer: CaptureLayer, sample: CaptureSampleInfo, reference: ExactReference,
                               protocol attentionProtocol: AttentionProtocol) -> [TopKey?] {
        let d = layer.headDim, n = layer.tokenCount
        var out = [TopKey?](repeating: nil, count: layer.numHeads * layer.queryCount)
        for kv in 0..<layer.numKVHeads {
            let replay = HeadReplay(layer: layer, sample: sample, kvHead: kv)
            let middle = attentionProtocol.layout(promptLength: replay.preparedLength).middle
            guard !middle.isEmpty else { continue }
            let base = kv * n * d
            var mean = [Double](repeating: 0, count: d)
            for i in middle { for j in 0..<d { mean[j] += Double(layer.keys[base + i * d + j]) } }
            for j in 0..<d { mean[j] /= Double(middle.count) }
            for head in replay.queryHeads {
                for step in 0..<layer.queryCount {
                    let weights = reference.query(head: head, step: step).weights
                    let candidates = middle.clamped(to: 0..<weights.count)
                    guard let top = candidates.max(by: { weights[$0] < weights[$1] }) else { continue }
                    let q = layer.query(head: head, step: step)
                    var dotC = 0.0, dotR = 0.0, qq = 0.0, kc = 0.0, kr = 0.0
                    for j in 0..<d {
                        let x = Double(q[j]), k = Double(layer.keys[base + top * d + j])
                        dotC += x * (k - mean[j]); dotR += x * k
                        qq += x * x; kc += (k - mean[j]) * (k - mean[j]); kr += k * k
                    }
                    func cosine(_ dot: Double, _ kk: Double) -> Double { qq > 0 && kk > 0 ? dot / (qq * kk).squareRoot() : 0 }
                    out[head * layer.queryCount + step] = TopKey(mass: Double(weights[top]), centredCosine: cosine(dotC, kc),
                                                                rawCosine: cosine(dotR, kr))
                }
            }
        }
        return out
    }

    /// u of this key under a MagicPIG configuration (its K, L, threshold and centring); nil for other methods.
    public func samplingProbability(under configuration: MethodConfiguration) -> Double? {
        guard configuration.method == "magicpig" else { return nil }
        let p = configuration.approximator.parameters
        guard let K = p["K"].flatMap(Int.init), let L = p["L"].flatMap(Int.init) else { return nil }
        let threshold = p["threshold"].flatMap(Int.init) ?? 2
        let cosine = p["centering"] == "false" ? rawCosine : centredCosine
        return Approximators.samplingProbability(cosine: cosine, K: K, L: L, threshold: threshold)
    }
}
