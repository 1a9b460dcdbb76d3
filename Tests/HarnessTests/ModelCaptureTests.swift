import Approximators
import Datasets
import Engine
import Foundation
import Harness
import Kernels
import Testing

/// `ModelCapture` on a tiny random model built in memory (as Tests/EngineTests/ForwardTinyModelTests does):
/// the capture validates, its tensors equal a one-shot prefill of the whole sequence, and replaying it with
/// `exact` reproduces the model's attention outputs.
@Suite struct ModelCaptureTests {
    static func tinyModel(_ style: RoPEStyle, vocabulary: Int = 50, context: Int = 64,
                          kvType: KVDType = .float16) -> LanguageModel {
        let c = ModelConfig(architecture: style == .halfSplit ? "qwen2" : "llama", layerCount: 2, embeddingLength: 32,
                            feedForwardLength: 48, headCount: 4, kvHeadCount: 2, headDim: 8, vocabularySize: vocabulary,
                            contextLength: context, ropeTheta: 10_000, ropeStyle: style, rmsEpsilon: 1e-5,
                            attentionBias: style == .halfSplit)
        var rng = SeededGenerator(seed: 7)
        func values(_ count: Int, scale: Float) -> [Float] { (0..<count).map { _ in Float.random(in: -scale...scale, using: &rng) } }
        func matrix(_ rows: Int, _ cols: Int) -> WeightMatrix {
            WeightMatrix(rows: rows, columns: cols, values: values(rows * cols, scale: 1.5 / Float(cols).squareRoot()))
        }
        func norm(_ n: Int) -> [Float] { values(n, scale: 1).map { 1 + 0.3 * $0 } }
        let E = c.embeddingLength, q = c.headCount * c.headDim, kv = c.kvHeadCount * c.headDim, F = c.feedForwardLength
        let embedding = matrix(c.vocabularySize, E)
        let layers = (0..<c.layerCount).map { _ in
            LayerWeights(attentionNorm: norm(E), query: matrix(q, E), key: matrix(kv, E), value: matrix(kv, E), output: matrix(E, q),
                         queryBias: c.attentionBias ? values(q, scale: 0.5) : nil,
                         keyBias: c.attentionBias ? values(kv, scale: 0.5) : nil,
                         valueBias: c.attentionBias ? values(kv, scale: 0.5) : nil,
                         feedForwardNorm: norm(E), gate: matrix(F, E), up: matrix(F, E), down: matrix(E, F))
        }
        return LanguageModel(config: c, weights: ModelWeights(tokenEmbedding: embedding, layers: layers, outputNorm: norm(E), output: embedding),
                             threads: 2, kvType: kvType)
    }

    @Test(arguments: [RoPEStyle.adjacentPairs, .halfSplit])
    func captureReplaysTheModelsAttention(style: RoPEStyle) throws {
        let model = Self.tinyModel(style)
        let c = model.config
        let prompt = [3, 17, 42, 8, 8, 29, 0, 49, 11], steps = 5
        let path = NSTemporaryDirectory() + "model-capture-\(UUID().uuidString).h5"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let summary = try ModelCapture.capture(model: model, modelName: "tiny", prompt: prompt, decodeSteps: steps,
                                               to: path, source: "test, tiny, greedy")
        let n = prompt.count, T = n + steps
        #expect(summary.tokenCount == T && summary.queryPositions == Array(n..<T) && summary.generated.count == steps + 1)

        // The file validates and says what the model is.
        let file = try CaptureFile(path: path)
        #expect(file.header.model == "tiny" && file.header.numLayers == 2 && file.header.numHeads == 4
                && file.header.numKVHeads == 2 && file.header.headDim == 8)
        #expect(file.header.extra["source"] == "test, tiny, greedy")
        let sample = try #require(file.samples.first)
        #expect(sample.promptTokens == n && sample.tokenCount == T && sample.queryPositions == Array(n..<T) && sample.layers == [0, 1])

        // Reference: the whole sequence (prompt + the fed greedy tokens) prefilled at once, in Float32.
        var reference: [Int: LayerActivations] = [:]
        let session = model.makeSession()
        session.observer = { reference[$0.layer] = $0 }
        try session.prefill(prompt + summary.generated.prefix(steps))

        let H = c.headCount, Hkv = c.kvHeadCount, d = c.headDim, G = H / Hkv
        for l in 0..<c.layerCount {
            let layer = try file.readLayer(sample: 0, layer: l)
            let ref = try #require(reference[l])
            // Keys/values [Hkv, T, d] and queries [H, S, d] equal the one-shot prefill's, to float16 rounding.
            var worst: Float = 0
            for g in 0..<Hkv { for t in 0..<T { for i in 0..<d {
                let want = ref.keys[(t * Hkv + g) * d + i], got = layer.keys[(g * T + t) * d + i]
                worst = max(worst, abs(want - got) / max(1, abs(want)))
                worst = max(worst, abs(ref.values[(t * Hkv + g) * d + i] - layer.values[(g * T + t) * d + i]))
            } } }
            for h in 0..<H { for s in 0..<steps { for i in 0..<d {
                let want = ref.queries[((n + s) * H + h) * d + i]
                worst = max(worst, abs(want - layer.query(head: h, step: s)[i]) / max(1, abs(want)))
            } } }
            #expect(worst < 2e-3, "layer \(l): largest difference \(worst)")

            // Replay with exact: rel_l2 ≈ 0 against the replay's exact reference, and the outputs equal the
            // model's causal attention computed in Double from the Float32 reference tensors.
            let exactReference = ExactReference.compute(layer: layer, sample: sample, recallFraction: 0.1, threads: 1)
            var worstRel = 0.0, worstModel = 0.0
            for g in 0..<Hkv {
                HeadReplay(layer: layer, sample: sample, kvHead: g).run(
                    try ApproximatorRegistry.make("exact"), seed: 0, protocol: AttentionProtocol(), recordWeights: true
                ) { head, step, result in
                    worstRel = max(worstRel, QueryMetrics.measure(result, against: exactReference.query(head: head, step: step)).relL2)
                    let p = n + step, kvh = head / G
                    let scores = (0...p).map { j in
                        (0..<d).reduce(0.0) { $0 + Double(ref.queries[(p * H + head) * d + $1]) * Double(ref.keys[(j * Hkv + kvh) * d + $1]) } / Double(d).squareRoot()
                    }
                    let m = scores.max()!, e = scores.map { exp($0 - m) }, z = e.reduce(0, +)
                    let want = (0..<d).map { i in (0...p).reduce(0.0) { $0 + e[$1] / z * Double(ref.values[($1 * Hkv + kvh) * d + i]) } }
                    let diff = zip(want, result.output).map { ($0 - Double($1)) * ($0 - Double($1)) }.reduce(0, +)
                    worstModel = max(worstModel, (diff / want.map { $0 * $0 }.reduce(0, +)).squareRoot())
                }
            }
            #expect(worstRel < 1e-6, "layer \(l): replay exact rel_l2 \(worstRel)")
            #expect(worstModel < 5e-3, "layer \(l): rel_l2 against the model's attention \(worstModel)")
        }
    }

    @Test func rejectsBadRequests() throws {
        let model = Self.tinyModel(.adjacentPairs)
        let path = NSTemporaryDirectory() + "model-capture-\(UUID().uuidString).h5"
        #expect(throws: CaptureError.self) { try ModelCapture.capture(model: model, modelName: "tiny", prompt: [1, 2], decodeSteps: 0, to: path, source: "t") }
        #expect(throws: CaptureError.self) { try ModelCapture.capture(model: model, modelName: "tiny", prompt: [1, 2], decodeSteps: 1, layers: [2], to: path, source: "t") }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
