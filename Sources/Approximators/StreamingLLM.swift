import Kernels

/// StreamingLLM (Xiao et al., 2024) under this project's protocol: exact attention over the
/// static set only — sink ∪ local window of the prepared prompt ∪ generated — i.e. MagicPIG with
/// an always-empty sample. The floor every sparse method should beat.
public struct StreamingLLM: AttentionApproximator {
    public let method = "streaming_llm"
    public var isRandomized: Bool { false }
    public var parameters: [String: String] { [:] }

    public init() {}

    public func prepare(cache: HeadCache, context: HeadContext) -> any PreparedAttentionHead {
        PreparedStreamingLLM(cache: cache, layout: context.attentionProtocol.layout(promptLength: cache.count))
    }
}

final class PreparedStreamingLLM: RowBufferedHead {
    let keys: RowBuffer
    let values: RowBuffer
    let layout: CacheLayout
    private let rows = Scratch<Int32>()
    private let logits = Scratch<Float>()

    init(cache: HeadCache, layout: CacheLayout) {
        keys = RowBuffer(dim: cache.headDim, rows: cache.keys)
        values = RowBuffer(dim: cache.headDim, rows: cache.values)
        self.layout = layout
    }


    func attend(query: [Float], recordWeights: Bool) -> AttentionResult {
        let d = keys.dim, n = keys.count
        precondition(query.count == d, "attend: query length \(query.count) must equal head_dim \(d)")
        let (sink, rest) = layout.staticRanges(count: n)
        let total = sink.count + rest.count
        let r = rows.reserve(max(total, 1)), z = logits.reserve(max(total, 1))
        var t = 0
        for i in sink { r[t] = Int32(i); t += 1 }
        for i in rest { r[t] = Int32(i); t += 1 }
        query.withUnsafeBufferPointer {
            SubsetAttention.scores(query: $0.baseAddress!, head: head, rows: r, count: total,
                                   scale: 1 / Float(d).squareRoot(), into: z)
        }
        let (output, lse) = SubsetAttention.finish(logits: z, rows: r, count: total, head: head)
        let cost = AttentionCost(keysTotal: n, keysAttended: total, keysScored: total, flops: 4 * Double(d * total),
                                 costFraction: n > 0 ? Double(total) / Double(n) : 0)
        let weights = recordWeights ? SubsetAttention.weights(rows: r, probabilities: z, count: total) : nil
        return AttentionResult(output: output, logSumExp: lse, cost: cost, weights: weights)
    }
}

extension StreamingLLM {
    static let descriptor = MethodDescriptor(
        name: "streaming_llm",
        summary: "exact attention over sink, local window and generated tokens only (StreamingLLM)",
        parameters: []
    ) { _ in StreamingLLM() }
}
