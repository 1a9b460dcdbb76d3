import Kernels

/// A llama or qwen2 decoder over a GGUF file: configuration, weights (read in place), a compute backend and
/// a run-time thread count. Stateless between calls; a `DecodeSession` holds one sequence's KV cache.
///
///     let model = try LanguageModel(path: ModelStore().resolve("smollm2").path)
///     let session = model.makeSession()
///     try session.prefill(promptIDs)
///     let reply = try session.greedy(maxTokens: 32, stop: model.stopTokens)
public final class LanguageModel: @unchecked Sendable {
    public let config: ModelConfig
    public let weights: ModelWeights
    public let backend: any ComputeBackend
    /// Threads for matrix-vector products, weight blocks and heads.
    public let threads: Int
    /// End-of-sequence / end-of-turn ids from the metadata (empty for a model built in memory).
    public let stopTokens: Set<Int>
    /// The mapped file (nil for a model built in memory); weights point into it.
    public let file: GGUFFile?
    /// How the KV cache stores keys and values: Float16 (the default, as llama.cpp) or Float32.
    public let kvType: KVDType

    public init(config: ModelConfig, weights: ModelWeights, backend: any ComputeBackend = SwiftBackend(),
                threads: Int = Parallel.defaultThreadCount, stopTokens: Set<Int> = [], kvType: KVDType = .float16) {
        self.config = config
        self.weights = weights
        self.backend = backend
        self.threads = max(1, threads)
        self.stopTokens = stopTokens
        self.file = nil
        self.kvType = kvType
    }

    public init(path: String, backend: any ComputeBackend = SwiftBackend(),
                threads: Int = Parallel.defaultThreadCount, kvType: KVDType = .float16) throws {
        let file = try GGUFFile(path: path)
        config = try ModelConfig(file: file)
        weights = try ModelWeights(file: file, config: config)
        self.backend = backend
        self.threads = max(1, threads)
        stopTokens = Engine.stopTokenIDs(file: file)
        self.file = file
        self.kvType = kvType
    }

    public func makeSession(seam: AttentionSeam? = nil) -> DecodeSession {
        DecodeSession(model: self, seam: seam)
    }

    /// Mean next-token negative log-likelihood (nats) of ids[1...] given the ids before each, with exact
    /// attention: llama.cpp's perplexity quantity over one window. Runs in chunks of `chunkSize` tokens.
    public func meanNLL(ids: [Int], chunkSize: Int = 512) throws -> Double {
        guard ids.count >= 2 else { throw ModelError.emptyInput }
        let cache = makeCache(capacity: ids.count)
        var total: Double = 0
        var start = 0
        let vocab = config.vocabularySize
        while start < ids.count - 1 {
            let end = min(ids.count - 1, start + chunkSize)
            let logits = try forward(Array(ids[start..<end]), cache: cache, logits: .all)
            logits.withUnsafeBufferPointer { l in
                for t in 0..<(end - start) {
                    let row = l.baseAddress! + t * vocab
                    total += Double(Softmax.logSumExp(row, count: vocab) - row[ids[start + t + 1]])
                }
            }
            start = end
        }
        return total / Double(ids.count - 1)
    }

    func makeCache(capacity: Int) -> KVCache {
        KVCache(layerCount: config.layerCount, kvHeadCount: config.kvHeadCount, headDim: config.headDim,
                dtype: kvType, capacity: capacity)
    }
}

/// Post-RoPE queries, keys and values of one layer for a run of consecutive positions, as the capture
/// format stores them: [tokens × heads × headDim] row-major.
public struct LayerActivations: Sendable {
    public var layer: Int
    public var firstPosition: Int
    public var tokenCount: Int
    public var queries: [Float]
    public var keys: [Float]
    public var values: [Float]
}

/// Called once per layer per forward pass (prefill chunk or decode step), in layer order.
public typealias ActivationObserver = (LayerActivations) -> Void
