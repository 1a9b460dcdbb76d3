import Approximators
import Datasets
import Engine
import Foundation

/// Joins the engine and the capture format: runs a real (or in-memory) model on a prompt and writes what
/// its attention saw as a capture (format v1, docs/capture-format.md).
///
/// The prompt is prefilled with exact attention, then `decodeSteps` greedy tokens are decoded, each fed
/// back as a decode step (no stop tokens: the capture always has exactly `decodeSteps` queries). With a
/// prompt of n tokens, T = n + decodeSteps: keys and values are those of positions [0, T) and the queries
/// are the decode steps' queries, at positions n ..< T. The first greedy token is chosen from the prompt's
/// last logits and fed at position n, so query s (position n + s) attends keys [0, n + s], its own
/// included — the format's attend rule. Keys and queries are post-RoPE, as the engine's cache holds them.
public enum ModelCapture {
    public struct Summary: Sendable {
        public var promptTokens: Int
        public var tokenCount: Int
        public var queryPositions: [Int]
        public var layers: [Int]
        /// The greedy tokens decoded (the last one chosen but not fed: its query is not captured).
        public var generated: [Int]
    }

    /// Captures `layers` (nil: every layer) of sample 0 and writes `path` atomically via `CaptureWriter`.
    @discardableResult
    public static func capture(model: LanguageModel, modelName: String, prompt: [Int], decodeSteps: Int,
                               layers: [Int]? = nil, to path: String, source: String,
                               elementType: CaptureElementType = .float16) throws -> Summary {
        let c = model.config
        let layers = (layers ?? Array(0..<c.layerCount))
        guard decodeSteps >= 1 else { throw CaptureError.invalidWrite(file: path, reason: "decode steps must be at least 1") }
        guard !prompt.isEmpty else { throw CaptureError.invalidWrite(file: path, reason: "the prompt has no tokens") }
        if let bad = layers.first(where: { !(0..<c.layerCount).contains($0) }) {
            throw CaptureError.invalidWrite(file: path, reason: "layer \(bad) is outside 0..<\(c.layerCount)")
        }
        let wanted = Set(layers)
        let n = prompt.count, T = n + decodeSteps
        let H = c.headCount, Hkv = c.kvHeadCount, d = c.headDim
        // Token-major while collecting: keys/values [T × Hkv × d], queries [S × H × d] per layer.
        var keys = [Int: [Float]](), values = [Int: [Float]](), queries = [Int: [Float]]()
        for l in wanted {
            keys[l] = []; keys[l]!.reserveCapacity(T * Hkv * d)
            values[l] = []; values[l]!.reserveCapacity(T * Hkv * d)
            queries[l] = []; queries[l]!.reserveCapacity(decodeSteps * H * d)
        }
        let session = model.makeSession()
        session.observer = { a in
            guard wanted.contains(a.layer) else { return }
            keys[a.layer]! += a.keys
            values[a.layer]! += a.values
            if a.firstPosition >= n { queries[a.layer]! += a.queries }
        }
        try session.prefill(prompt)
        var generated: [Int] = []
        for _ in 0..<decodeSteps {
            let next = session.greedyToken
            generated.append(next)
            try session.step(next)
        }
        generated.append(session.greedyToken)
        session.observer = nil

        var extra = ["source": source]
        extra["prompt_token_ids"] = prompt.map(String.init).joined(separator: ",")
        extra["generated_token_ids"] = generated.map(String.init).joined(separator: ",")
        let header = CaptureHeader(model: modelName, numLayers: c.layerCount, numHeads: H, numKVHeads: Hkv,
                                   headDim: d, extra: extra)
        let writer = try CaptureWriter(path: path, header: header, elementType: elementType)
        let positions = Array(n..<T)
        try writer.writeSample(index: 0, promptTokens: n, queryPositions: positions)
        for l in layers.sorted() {
            let layer = CaptureLayer(
                layer: l, tokenCount: T, queryCount: decodeSteps, headDim: d, numHeads: H, numKVHeads: Hkv,
                keys: headMajor(keys[l]!, rows: T, heads: Hkv, dim: d),
                values: headMajor(values[l]!, rows: T, heads: Hkv, dim: d),
                queries: headMajor(queries[l]!, rows: decodeSteps, heads: H, dim: d))
            try writer.writeLayer(sample: 0, layer)
        }
        try writer.finish()
        return Summary(promptTokens: n, tokenCount: T, queryPositions: positions, layers: layers.sorted(), generated: generated)
    }

    /// [rows × heads × dim] → [heads × rows × dim].
    static func headMajor(_ x: [Float], rows: Int, heads: Int, dim: Int) -> [Float] {
        precondition(x.count == rows * heads * dim, "expected \(rows)×\(heads)×\(dim) floats, got \(x.count)")
        var out = [Float](repeating: 0, count: x.count)
        for r in 0..<rows {
            for h in 0..<heads {
                let from = (r * heads + h) * dim, to = (h * rows + r) * dim
                for i in 0..<dim { out[to + i] = x[from + i] }
            }
        }
        return out
    }
}
