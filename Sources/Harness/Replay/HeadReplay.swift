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
        let d = layer.headDim, p = preparedLength
        let context = HeadContext(layer: layer.layer, kvHead: kvHead, seed: seed, attentionProtocol: attentionProtocol)
        // The cache is a temporary, released when prepare returns, so the prepared head's rows
        // are uniquely referenced and its appends grow them in place.
        let prepared = approximator.prepare(cache: preparedCache(), context: context)
        let headStart = kvHead * layer.tokenCount * d
        var next = p
        for (step, position) in sample.queryPositions.enumerated() {
            while next <= position {
                let row = headStart + next * d
                prepared.append(key: Array(layer.keys[row..<(row + d)]), value: Array(layer.values[row..<(row + d)]))
                next += 1
            }
            let heads = queryHeads
            let results = prepared.attend(queries: heads.map { layer.query(head: $0, step: step) }, recordWeights: recordWeights)
            for (head, result) in zip(heads, results) { body(head, step, result) }
        }
    }

    /// The prompt prefix [0, P) of this KV head, copied once from the layer with capacity for every
    /// token the replay will append, so appends never reallocate. (Going through
    /// `layer.keys(kvHead:)` first copied all T rows, then the prefix again.)
    public func preparedCache() -> HeadCache {
        let d = layer.headDim, p = preparedLength, start = kvHead * layer.tokenCount * d
        let final = max(p, (sample.queryPositions.max() ?? (p - 1)) + 1)
        func rows(_ all: [Float]) -> [Float] {
            var out = [Float]()
            out.reserveCapacity(final * d)
            out.append(contentsOf: all[start..<(start + p * d)])
            return out
        }
        return HeadCache(headDim: d, keys: rows(layer.keys), values: rows(layer.values))
    }
}
