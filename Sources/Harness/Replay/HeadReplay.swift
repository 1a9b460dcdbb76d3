import Approximators
import Datasets

/// Replays one (layer, KV head) of a captured sample through an approximator exactly as a
/// decode loop would drive it: prepare on the prompt, then per captured query append the
/// tokens up to its position (generated tokens, attended exactly) and attend each query head
/// of the GQA group.
///
/// The prepared prefix is P = min(prompt_tokens, first query position + 1): a query inside the
/// prompt sees exactly the keys [0, position] and later prompt tokens join as "generated".
public struct HeadReplay: Sendable {
    public var layer: CaptureLayer
    public var sample: CaptureSampleInfo
    public var kvHead: Int

    public init(layer: CaptureLayer, sample: CaptureSampleInfo, kvHead: Int) {
        self.layer = layer
        self.sample = sample
        self.kvHead = kvHead
    }

    public var preparedLength: Int {
        min(sample.promptTokens, (sample.queryPositions.first ?? sample.promptTokens - 1) + 1)
    }

    /// Query heads that share this KV head.
    public var queryHeads: Range<Int> {
        let g = layer.numHeads / layer.numKVHeads
        return (kvHead * g)..<((kvHead + 1) * g)
    }

    /// Runs the replay; `body(head, step, result)` sees every attended query in decode order.
    public func run(_ approximator: any AttentionApproximator, seed: UInt64, protocol attentionProtocol: AttentionProtocol,
                    recordWeights: Bool, _ body: (Int, Int, AttentionResult) -> Void) {
        let d = layer.headDim
        let keys = layer.keys(kvHead: kvHead), values = layer.values(kvHead: kvHead)
        let p = preparedLength
        let cache = HeadCache(headDim: d, keys: Array(keys[0..<(p * d)]), values: Array(values[0..<(p * d)]))
        let context = HeadContext(layer: layer.layer, kvHead: kvHead, seed: seed, attentionProtocol: attentionProtocol)
        let prepared = approximator.prepare(cache: cache, context: context)
        var next = p
        for (step, position) in sample.queryPositions.enumerated() {
            while next <= position {
                prepared.append(key: Array(keys[(next * d)..<((next + 1) * d)]),
                                value: Array(values[(next * d)..<((next + 1) * d)]))
                next += 1
            }
            let heads = queryHeads
            let results = prepared.attend(queries: heads.map { layer.query(head: $0, step: step) }, recordWeights: recordWeights)
            for (head, result) in zip(heads, results) { body(head, step, result) }
        }
    }
}
