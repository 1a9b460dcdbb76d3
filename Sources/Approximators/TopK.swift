import Kernels

/// TopK as the MagicPIG authors define it: the k = max(1, int(budget · kv_len)) keys with the
/// highest exact score over all keys, softmax renormalised over them.
///
/// With `static`, MagicPIG's static set (sink ∪ local window ∪ generated) is always attended and
/// the k = int(budget · kv_len) top keys are picked from the middle only — TopK under the same
/// protocol as MagicPIG, for a like-for-like comparison.
public struct TopK: AttentionApproximator {
    public let method = "topk"
    public var isRandomized: Bool { false }
    public let budget: KeyBudget
    public let staticSet: Bool

    public init(budget: KeyBudget, static staticSet: Bool = false) throws {
        try KeyBudget.check(budget, method: "topk")
        self.budget = budget
        self.staticSet = staticSet
    }

    public var parameters: [String: String] {
        var p = ["static": String(staticSet)]
        switch budget {
        case .fraction(let f): p["budget"] = String(f)
        case .count(let c): p["count"] = String(c)
        }
        return p
    }

    public func prepare(cache: HeadCache, context: HeadContext) -> any PreparedAttentionHead {
        PreparedTopK(cache: cache, layout: context.attentionProtocol.layout(promptLength: cache.count),
                     budget: budget, staticSet: staticSet)
    }
}

/// Runs the kernels of `TopKDecode` on the head's rows: the group's scores in one pass over K,
/// radix selection of the top keys (of the middle, after the static rows, with `static`), and the
/// gathered softmax · V of `GatherAttention` — the code the bench and the model's decode loop run.
final class PreparedTopK: RowBufferedHead {
    let keys: RowBuffer
    let values: RowBuffer
    let layout: CacheLayout
    let budget: KeyBudget
    let staticSet: Bool
    private let scores = Scratch<Float>()
    private let rows = Scratch<Int32>()
    private let logits = Scratch<Float>()
    private let packedQueries = Scratch<Float>()

    init(cache: HeadCache, layout: CacheLayout, budget: KeyBudget, staticSet: Bool) {
        keys = RowBuffer(dim: cache.headDim, rows: cache.keys)
        values = RowBuffer(dim: cache.headDim, rows: cache.values)
        self.layout = layout
        self.budget = budget
        self.staticSet = staticSet
    }

    func attend(query: [Float], recordWeights: Bool) -> AttentionResult {
        attend(queries: [query], recordWeights: recordWeights)[0]
    }

    /// One score pass over K for the whole group (queries pre-scaled by 1/√d), then each query's
    /// selection in turn; query j's scores do not depend on the group size.
    func attend(queries: [[Float]], recordWeights: Bool) -> [AttentionResult] {
        let n = keys.count, sc = groupScores(queries, packed: packedQueries, into: scores)
        return queries.indices.map { attend(scores: sc + $0 * n, recordWeights: recordWeights) }
    }

    /// The rest of an attend once the query's scores over every key are in `sc`.
    private func attend(scores sc: UnsafeMutablePointer<Float>, recordWeights: Bool) -> AttentionResult {
        let d = keys.dim, n = keys.count
        let candidates: Range<Int> = staticSet ? layout.middle : 0..<n
        let (sink, rest) = staticSet ? layout.staticRanges(count: n) : (0..<0, 0..<0)
        let k = budget.keys(total: n, available: candidates.count, atLeastOne: !staticSet)
        let total = sink.count + rest.count + k
        let r = rows.reserve(max(total, 1)), z = logits.reserve(max(total, 1))
        var t = 0
        for i in sink { r[t] = Int32(i); t += 1 }
        for i in rest { r[t] = Int32(i); t += 1 }
        TopKDecode.largest(sc + candidates.lowerBound, count: candidates.count, k: k, into: r + t)
        for i in t..<total { r[i] += Int32(candidates.lowerBound) }
        for i in 0..<total { z[i] = sc[Int(r[i])] }
        let (output, lse) = SubsetAttention.finish(logits: z, rows: r, count: total, head: head)
        let cost = AttentionCost(keysTotal: n, keysAttended: total, keysScored: n,
                                 flops: 2 * Double(d * n) + 2 * Double(d * total),
                                 costFraction: n > 0 ? Double(total) / Double(n) : 0)
        let weights = recordWeights ? SubsetAttention.weights(rows: r, probabilities: z, count: total) : nil
        return AttentionResult(output: output, logSumExp: lse, cost: cost, weights: weights)
    }
}

extension TopK {
    static let descriptor = MethodDescriptor(
        name: "topk",
        summary: "exact attention over the k highest-scoring keys (oracle TopK, the authors' baseline)",
        parameters: [
            ParameterDoc("budget", "fraction of keys kept, in (0, 1]: k = max(1, int(budget · kv_len)); required unless count is given"),
            ParameterDoc("count", "absolute number of keys kept (instead of budget)"),
            ParameterDoc("static", "always attend sink, local window and generated tokens; pick top keys from the middle", default: "false"),
        ]
    ) { p in
        let budget = try KeyBudget.read(&p, allowCount: true)
        return try TopK(budget: budget, static: try p.bool("static", default: false))
    }
}
