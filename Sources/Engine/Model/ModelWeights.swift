/// One transformer block's weights. Projections stay in their storage type; norms and biases are small
/// Float32 vectors.
public struct LayerWeights: Sendable {
    public var attentionNorm: [Float]
    public var query: WeightMatrix
    public var key: WeightMatrix
    public var value: WeightMatrix
    public var output: WeightMatrix
    public var queryBias: [Float]?
    public var keyBias: [Float]?
    public var valueBias: [Float]?
    public var feedForwardNorm: [Float]
    public var gate: WeightMatrix
    public var up: WeightMatrix
    public var down: WeightMatrix

    public init(attentionNorm: [Float], query: WeightMatrix, key: WeightMatrix, value: WeightMatrix,
                output: WeightMatrix, queryBias: [Float]? = nil, keyBias: [Float]? = nil, valueBias: [Float]? = nil,
                feedForwardNorm: [Float], gate: WeightMatrix, up: WeightMatrix, down: WeightMatrix) {
        self.attentionNorm = attentionNorm
        self.query = query
        self.key = key
        self.value = value
        self.output = output
        self.queryBias = queryBias
        self.keyBias = keyBias
        self.valueBias = valueBias
        self.feedForwardNorm = feedForwardNorm
        self.gate = gate
        self.up = up
        self.down = down
    }
}

/// Every weight of a llama/qwen2 decoder.
public struct ModelWeights: Sendable {
    /// [vocabulary × embedding]; also the output head when the model ties them.
    public var tokenEmbedding: WeightMatrix
    public var layers: [LayerWeights]
    public var outputNorm: [Float]
    /// [vocabulary × embedding].
    public var output: WeightMatrix

    public init(tokenEmbedding: WeightMatrix, layers: [LayerWeights], outputNorm: [Float], output: WeightMatrix) {
        self.tokenEmbedding = tokenEmbedding
        self.layers = layers
        self.outputNorm = outputNorm
        self.output = output
    }

    /// Views over the tensors of a GGUF (llama.cpp's names). A model without `output.weight` ties its head
    /// to the token embedding (SmolLM2).
    public init(file: GGUFFile, config c: ModelConfig) throws {
        // Multiplied weights take the decode layout (`storedForDecode`); the token embedding, of which decode
        // looks up one row per token, stays as stored.
        func matrix(_ name: String, rows: Int, columns: Int, forDecode: Bool = true) throws -> WeightMatrix {
            let w = try WeightMatrix(file: file, name: name)
            guard w.rows == rows, w.columns == columns else {
                throw ModelError.badShape(file: file.path, "\(name) is [\(w.rows) × \(w.columns)], expected [\(rows) × \(columns)]")
            }
            return forDecode ? w.storedForDecode() : w
        }
        func vector(_ name: String, count: Int) throws -> [Float] {
            let v = try file.dequantize(name)
            guard v.count == count else {
                throw ModelError.badShape(file: file.path, "\(name) has \(v.count) elements, expected \(count)")
            }
            return v
        }
        let e = c.embeddingLength, qWidth = c.headCount * c.headDim, kvWidth = c.kvHeadCount * c.headDim
        tokenEmbedding = try matrix("token_embd.weight", rows: c.vocabularySize, columns: e, forDecode: false)
        layers = try (0..<c.layerCount).map { i in
            let p = "blk.\(i)."
            return LayerWeights(
                attentionNorm: try vector(p + "attn_norm.weight", count: e),
                query: try matrix(p + "attn_q.weight", rows: qWidth, columns: e),
                key: try matrix(p + "attn_k.weight", rows: kvWidth, columns: e),
                value: try matrix(p + "attn_v.weight", rows: kvWidth, columns: e),
                output: try matrix(p + "attn_output.weight", rows: e, columns: qWidth),
                queryBias: c.attentionBias ? try vector(p + "attn_q.bias", count: qWidth) : nil,
                keyBias: c.attentionBias ? try vector(p + "attn_k.bias", count: kvWidth) : nil,
                valueBias: c.attentionBias ? try vector(p + "attn_v.bias", count: kvWidth) : nil,
                feedForwardNorm: try vector(p + "ffn_norm.weight", count: e),
                gate: try matrix(p + "ffn_gate.weight", rows: c.feedForwardLength, columns: e),
                up: try matrix(p + "ffn_up.weight", rows: c.feedForwardLength, columns: e),
                down: try matrix(p + "ffn_down.weight", rows: e, columns: c.feedForwardLength))
        }
        outputNorm = try vector("output_norm.weight", count: e)
        output = file.contains(tensor: "output.weight")
            ? try matrix("output.weight", rows: c.vocabularySize, columns: e) : tokenEmbedding
    }
}
