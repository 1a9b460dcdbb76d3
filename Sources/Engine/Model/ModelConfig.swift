/// How a model's attention rotates query and key pairs.
public enum RoPEStyle: String, Sendable, Equatable {
    /// Adjacent pairs (x[2i], x[2i+1]) — ggml's "NORM" mode. llama.cpp's converter permutes the Q/K rows of
    /// llama weights so that the Hugging Face half-split rotation becomes this one.
    case adjacentPairs
    /// Half-split pairs (x[i], x[i + d/2]) — ggml's "NEOX" mode, used by qwen2.
    case halfSplit
}

/// The hyper-parameters of a transformer decoder, read from GGUF metadata (`<arch>.*` keys).
public struct ModelConfig: Sendable, Equatable {
    public var architecture: String
    public var layerCount: Int
    public var embeddingLength: Int
    public var feedForwardLength: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var vocabularySize: Int
    public var contextLength: Int
    public var ropeTheta: Float
    /// Leading dimensions of each head that RoPE rotates (all of them for both models).
    public var ropeDimensions: Int
    public var ropeStyle: RoPEStyle
    public var rmsEpsilon: Float
    /// Q, K and V projections carry a bias (qwen2).
    public var attentionBias: Bool

    /// Query heads per KV head.
    public var groupSize: Int { headCount / kvHeadCount }

    public static let supportedArchitectures = ["llama", "qwen2"]

    public init(architecture: String, layerCount: Int, embeddingLength: Int, feedForwardLength: Int,
                headCount: Int, kvHeadCount: Int, headDim: Int, vocabularySize: Int, contextLength: Int,
                ropeTheta: Float, ropeDimensions: Int? = nil, ropeStyle: RoPEStyle, rmsEpsilon: Float,
                attentionBias: Bool) {
        self.architecture = architecture
        self.layerCount = layerCount
        self.embeddingLength = embeddingLength
        self.feedForwardLength = feedForwardLength
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.ropeTheta = ropeTheta
        self.ropeDimensions = ropeDimensions ?? headDim
        self.ropeStyle = ropeStyle
        self.rmsEpsilon = rmsEpsilon
        self.attentionBias = attentionBias
    }

    /// Reads the configuration of a llama or qwen2 GGUF.
    public init(file: GGUFFile) throws {
        let m = file.metadata
        let arch = try m.string("general.architecture")
        guard Self.supportedArchitectures.contains(arch) else {
            throw ModelError.unsupportedArchitecture(file: file.path, arch, supported: Self.supportedArchitectures)
        }
        func int(_ key: String) throws -> Int { try m.int("\(arch).\(key)") }
        let embedding = try int("embedding_length")
        let heads = try int("attention.head_count")
        let kvHeads = m["\(arch).attention.head_count_kv"] == nil ? heads : try int("attention.head_count_kv")
        let headDim = m["\(arch).attention.key_length"] == nil ? embedding / heads : try int("attention.key_length")
        let vocab = try file.info("token_embd.weight").rowCount
        guard heads > 0, kvHeads > 0, heads % kvHeads == 0, headDim > 0, headDim % 2 == 0 else {
            throw ModelError.badShape(file: file.path, "\(heads) heads, \(kvHeads) KV heads, head_dim \(headDim)")
        }
        let theta = m["\(arch).rope.freq_base"] == nil ? 10_000 : try m.float("\(arch).rope.freq_base")
        let ropeDims = m["\(arch).rope.dimension_count"] == nil ? headDim : try int("rope.dimension_count")
        self.init(architecture: arch, layerCount: try int("block_count"), embeddingLength: embedding,
                  feedForwardLength: try int("feed_forward_length"), headCount: heads, kvHeadCount: kvHeads,
                  headDim: headDim, vocabularySize: vocab, contextLength: try int("context_length"),
                  ropeTheta: Float(theta), ropeDimensions: ropeDims,
                  ropeStyle: arch == "qwen2" ? .halfSplit : .adjacentPairs,
                  rmsEpsilon: Float(try m.float("\(arch).attention.layer_norm_rms_epsilon")),
                  attentionBias: file.contains(tensor: "blk.0.attn_q.bias"))
    }
}

/// Token ids that end generation, from the GGUF metadata (end of sequence, end of turn).
public func stopTokenIDs(file: GGUFFile) -> Set<Int> {
    var ids: Set<Int> = []
    for key in ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"] {
        if let id = file.metadata[key]?.integer { ids.insert(id) }
    }
    return ids
}

public enum ModelError: Error, Equatable, CustomStringConvertible {
    case unsupportedArchitecture(file: String, String, supported: [String])
    case badShape(file: String, String)
    case unsupportedWeightType(file: String, tensor: String, GGMLType)
    case tokenOutOfRange(Int, vocabularySize: Int)
    case contextFull(needed: Int, contextLength: Int)
    case emptyInput
    case prefillAfterDecoding
    case forkAfterApproximateDecoding

    public var description: String {
        switch self {
        case .unsupportedArchitecture(let file, let arch, let supported):
            return "\(file): architecture \"\(arch)\" is not supported (supported: \(supported.joined(separator: ", ")))"
        case .badShape(let file, let what):
            return "\(file): unsupported model shape: \(what)"
        case .unsupportedWeightType(let file, let tensor, let type):
            return "\(file): tensor \(tensor) has type \(type), which the engine cannot read"
        case .tokenOutOfRange(let id, let vocab):
            return "token id \(id) is outside the vocabulary of \(vocab) tokens"
        case .contextFull(let needed, let context):
            return "\(needed) tokens exceed the model's context of \(context)"
        case .emptyInput:
            return "no tokens given"
        case .prefillAfterDecoding:
            return "prefill after decoding has started: the approximators were prepared on the earlier prompt; start a new session"
        case .forkAfterApproximateDecoding:
            return "fork after approximate decoding has started: fork the session before its first decode step through a seam"
        }
    }
}
