/// The model-level facts a capture records once, in its root attributes (format v1, see
/// docs/capture-format.md).
public struct CaptureHeader: Sendable, Equatable {
    public var model: String
    public var numLayers: Int, numHeads: Int, numKVHeads: Int, headDim: Int
    /// Other root string attributes, e.g. "source"; preserved on read, written back by the writer.
    public var extra: [String: String]

    /// Query heads that share one KV head (grouped-query attention).
    public var groupSize: Int { numHeads / numKVHeads }

    public init(
        model: String, numLayers: Int, numHeads: Int, numKVHeads: Int, headDim: Int,
        extra: [String: String] = [:]
    ) {
        self.model = model
        self.numLayers = numLayers
        self.numHeads = numHeads
        self.numKVHeads = numKVHeads
        self.headDim = headDim
        self.extra = extra
    }
}

/// What opening a capture learns about one `samples/<i>` group without reading any tensor.
public struct CaptureSampleInfo: Sendable, Equatable {
    /// The `<i>` of `samples/<i>`.
    public var index: Int
    /// n: positions below n are the prompt, positions at or above it were generated.
    public var promptTokens: Int
    /// Absolute position of each captured query; query s attends keys [0, queryPositions[s]].
    public var queryPositions: [Int]
    /// T, from the shape of the keys datasets.
    public var tokenCount: Int
    /// Layer indices present, sorted.
    public var layers: [Int]

    public init(index: Int, promptTokens: Int, queryPositions: [Int], tokenCount: Int, layers: [Int]) {
        self.index = index
        self.promptTokens = promptTokens
        self.queryPositions = queryPositions
        self.tokenCount = tokenCount
        self.layers = layers
    }
}

/// One layer of one sample, converted to Float32: keys and values [numKVHeads, T, headDim],
/// queries [numHeads, S, headDim], all row-major.
public struct CaptureLayer: Sendable {
    public var layer: Int
    public var tokenCount: Int
    public var queryCount: Int
    public var headDim: Int
    public var numHeads: Int, numKVHeads: Int
    public var keys: [Float]
    public var values: [Float]
    public var queries: [Float]

    public init(
        layer: Int, tokenCount: Int, queryCount: Int, headDim: Int, numHeads: Int, numKVHeads: Int,
        keys: [Float], values: [Float], queries: [Float]
    ) {
        precondition(numKVHeads > 0 && numHeads % numKVHeads == 0, "numHeads must be a multiple of numKVHeads")
        precondition(keys.count == numKVHeads * tokenCount * headDim, "keys must hold numKVHeads*T*headDim floats")
        precondition(values.count == keys.count, "values must hold numKVHeads*T*headDim floats")
        precondition(queries.count == numHeads * queryCount * headDim, "queries must hold numHeads*S*headDim floats")
        self.layer = layer
        self.tokenCount = tokenCount
        self.queryCount = queryCount
        self.headDim = headDim
        self.numHeads = numHeads
        self.numKVHeads = numKVHeads
        self.keys = keys
        self.values = values
        self.queries = queries
    }

    /// The T key rows of one KV head, [T, headDim].
    public func keys(kvHead: Int) -> [Float] {
        let n = tokenCount * headDim
        return Array(keys[(kvHead * n)..<((kvHead + 1) * n)])
    }

    /// The T value rows of one KV head, [T, headDim].
    public func values(kvHead: Int) -> [Float] {
        let n = tokenCount * headDim
        return Array(values[(kvHead * n)..<((kvHead + 1) * n)])
    }

    /// The query of one head at one captured step, [headDim].
    public func query(head: Int, step: Int) -> [Float] {
        let start = (head * queryCount + step) * headDim
        return Array(queries[start..<(start + headDim)])
    }

    /// The KV head that query head `head` reads (grouped-query attention).
    public func kvHead(forHead head: Int) -> Int { head / (numHeads / numKVHeads) }
}

/// How the writer stores tensors; the reader accepts float16, float32 and float64.
public enum CaptureElementType: String, Sendable {
    case float16, float32
}
