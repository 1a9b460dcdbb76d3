import Approximators
import Kernels

/// Which attention runs during decoding: an approximator in every layer but the dense ones, under a
/// protocol (sink, local window). Prefill is always exact ("setup A" of ../shared/reference/magicpig.md):
/// the approximators are prepared on the prompt's post-RoPE keys and values at the first decode step.
public struct AttentionSeam: Sendable {
    public var approximator: any AttentionApproximator
    /// Layers that keep exact attention (MagicPIG: 0 and 16 on Llama-3.1-8B; baselines 0 and 1).
    public var denseLayers: Set<Int>
    public var attentionProtocol: AttentionProtocol
    public var seed: UInt64

    public init(approximator: any AttentionApproximator, denseLayers: Set<Int> = [0],
                attentionProtocol: AttentionProtocol = AttentionProtocol(), seed: UInt64 = 0) {
        self.approximator = approximator
        self.denseLayers = denseLayers
        self.attentionProtocol = attentionProtocol
        self.seed = seed
    }
}

/// One sequence being decoded: its KV cache, the logits for the next token, and — with a seam — the
/// approximator state of every sparse (layer, KV head).
///
///     let session = model.makeSession(seam: AttentionSeam(approximator: try ApproximatorRegistry.make("magicpig")))
///     try session.prefill(prompt)                 // exact, chunked; may be called several times
///     let ids = try session.greedy(maxTokens: 64, stop: model.stopTokens)
public final class DecodeSession {
    public let model: LanguageModel
    public let seam: AttentionSeam?
    /// Every token fed so far (prompt and generated).
    public private(set) var tokens: [Int] = []
    /// Logits for the token after `tokens` (empty before the first prefill).
    public private(set) var nextLogits: [Float] = []
    /// Post-RoPE Q/K/V of every layer of every later forward pass (capture).
    public var observer: ActivationObserver?
    /// Approximator costs summed over the decode steps so far.
    public private(set) var statistics = AttentionStatistics()
    let cache: KVCache
    private var prepared: [[PreparedHeadBox]?]?
    /// Prompt length the approximators were prepared on (nil until the first decode step).
    public private(set) var preparedPromptLength: Int?

    init(model: LanguageModel, seam: AttentionSeam?) {
        self.model = model
        self.seam = seam
        cache = model.makeCache(capacity: 256)
    }

    private init(model: LanguageModel, seam: AttentionSeam?, cache: KVCache, tokens: [Int], nextLogits: [Float]) {
        self.model = model
        self.seam = seam
        self.cache = cache
        self.tokens = tokens
        self.nextLogits = nextLogits
    }

    /// A new session continuing from this one's tokens (a copy of the KV cache), decoding through `seam`:
    /// one exact prefill of a long prompt serves every method. Only a session whose approximators have not
    /// been prepared can be forked (prepared heads hold state of their own); the fork starts with empty
    /// statistics and no observer.
    public func fork(seam: AttentionSeam?) throws -> DecodeSession {
        guard prepared == nil else { throw ModelError.forkAfterApproximateDecoding }
        return DecodeSession(model: model, seam: seam, cache: cache.copy(), tokens: tokens, nextLogits: nextLogits)
    }

    /// Runs `ids` with exact causal attention, `chunkSize` tokens per forward pass.
    public func prefill(_ ids: [Int], chunkSize: Int = 512) throws {
        guard !ids.isEmpty else { throw ModelError.emptyInput }
        guard prepared == nil else { throw ModelError.prefillAfterDecoding }
        var start = 0
        while start < ids.count {
            let end = min(ids.count, start + max(1, chunkSize))
            let chunk = Array(ids[start..<end])
            let logits = try model.forward(chunk, cache: cache, logits: end == ids.count ? .last : .none,
                                           observer: observer)
            tokens += chunk
            if end == ids.count { nextLogits = logits }
            start = end
        }
    }

    /// Feeds one token as a decode step (through the approximators, if any) and updates `nextLogits`.
    public func step(_ token: Int) throws { try step([token]) }

    /// Feeds `ids` as decode steps in one forward pass: each token attends as a single step would (through
    /// the approximators, if any, after its predecessors), while the matrix products take all the tokens at
    /// once. Equal to one step per token up to float rounding, and several times faster for a question of
    /// tens of tokens (setup B of ../shared/reference/magicpig.md).
    public func step(_ ids: [Int]) throws {
        guard !tokens.isEmpty, !ids.isEmpty else { throw ModelError.emptyInput }
        if let seam, prepared == nil { prepare(seam) }
        nextLogits = try withUnsafeMutablePointer(to: &statistics) { stats in
            try model.forward(ids, cache: cache, logits: .last, stepwise: true, heads: prepared, statistics: stats,
                              observer: observer)
        }
        tokens += ids
    }

    /// The highest-logit next token (the first on a tie, as llama.cpp's greedy sampler).
    public var greedyToken: Int { nextLogits.withUnsafeBufferPointer { LayerMath.argmax($0) } }

    /// Greedy decoding: up to `maxTokens` tokens, stopping after (and including) a stop token. Returns the
    /// generated ids. The last token is not fed back, so `nextLogits` are those that chose it.
    public func greedy(maxTokens: Int, stop: Set<Int> = []) throws -> [Int] {
        var generated: [Int] = []
        while generated.count < maxTokens {
            let next = greedyToken
            generated.append(next)
            if stop.contains(next) || generated.count == maxTokens { break }
            try step(next)
        }
        return generated
    }

    /// Mean NLL (nats) of `continuation` fed token by token after what was prefilled: each token's
    /// log-probability under the current `nextLogits`, then a decode step. With a seam this is the
    /// model-level fidelity of the approximator (teacher forcing; every step approximated).
    public func meanNLL(of continuation: [Int]) throws -> Double {
        guard !continuation.isEmpty, !nextLogits.isEmpty else { throw ModelError.emptyInput }
        var total: Double = 0
        for (i, id) in continuation.enumerated() {
            total += nextLogits.withUnsafeBufferPointer { l in
                Double(Softmax.logSumExp(l.baseAddress!, count: l.count) - l[id])
            }
            if i + 1 < continuation.count { try step(id) }
        }
        return total / Double(continuation.count)
    }

    /// Builds every sparse (layer, KV head)'s approximator state from the cache, in parallel.
    private func prepare(_ seam: AttentionSeam) {
        let c = model.config
        let sparse = (0..<c.layerCount).filter { !seam.denseLayers.contains($0) }
        let jobs = sparse.flatMap { l in (0..<c.kvHeadCount).map { (l, $0) } }
        let slots = UnsafeMutablePointer<PreparedHeadBox?>.allocate(capacity: max(jobs.count, 1))
        slots.initialize(repeating: nil, count: max(jobs.count, 1))
        defer { slots.deinitialize(count: max(jobs.count, 1)); slots.deallocate() }
        let sp = SendablePointer(slots), cache = self.cache
        Parallel.forEach(jobs.count, threads: model.threads) { j in
            let (l, g) = jobs[j]
            let snapshot = cache.headCache(layer: l, head: g)
            let head = HeadCache(headDim: c.headDim, keys: snapshot.keys, values: snapshot.values)
            let context = HeadContext(layer: l, kvHead: g, seed: seam.seed, attentionProtocol: seam.attentionProtocol)
            sp.pointer[j] = PreparedHeadBox(seam.approximator.prepare(cache: head, context: context))
        }
        var layers = [[PreparedHeadBox]?](repeating: nil, count: c.layerCount)
        for (j, (l, _)) in jobs.enumerated() { layers[l] = (layers[l] ?? []) + [slots[j]!] }
        prepared = layers
        preparedPromptLength = tokens.count
    }
}
