import Foundation
import Testing
import Kernels
import Approximators
@testable import Engine

/// A tiny random 2-layer model built in memory: the engine's forward pass against a naive Double
/// implementation, KV-cache decoding against full recomputation, and the attention seam with exact attention
/// against plain decoding.
@Suite struct ForwardTinyModelTests {
    static func config(_ style: RoPEStyle, heads: Int = 4) -> ModelConfig {
        ModelConfig(architecture: style == .halfSplit ? "qwen2" : "llama", layerCount: 2, embeddingLength: 32,
                    feedForwardLength: 48, headCount: heads, kvHeadCount: 2, headDim: 8, vocabularySize: 50,
                    contextLength: 64, ropeTheta: 10_000, ropeStyle: style, rmsEpsilon: 1e-5,
                    attentionBias: style == .halfSplit)
    }

    /// Random weights; the raw arrays too, for the naive forward.
    struct Tiny {
        var model: LanguageModel
        var raw: [String: [Float]]
    }

    static func tiny(_ style: RoPEStyle, heads: Int = 4, backend: any ComputeBackend = SwiftBackend(), threads: Int = 2,
                     kvType: KVDType = .float16) -> Tiny {
        let c = config(style, heads: heads)
        var rng = SeededGenerator(seed: style == .halfSplit ? 2 : 1)
        var raw: [String: [Float]] = [:]
        func values(_ name: String, _ count: Int, scale: Float) -> [Float] {
            let v = (0..<count).map { _ in Float.random(in: -scale...scale, using: &rng) }
            raw[name] = v
            return v
        }
        func matrix(_ name: String, _ rows: Int, _ cols: Int) -> WeightMatrix {
            WeightMatrix(rows: rows, columns: cols, values: values(name, rows * cols, scale: 1 / Float(cols).squareRoot() * 1.5))
        }
        func norm(_ name: String, _ n: Int) -> [Float] { values(name, n, scale: 1).map { 1 + 0.3 * $0 } .also { raw[name] = $0 } }
        let E = c.embeddingLength, q = c.headCount * c.headDim, kv = c.kvHeadCount * c.headDim, F = c.feedForwardLength
        let embedding = matrix("embd", c.vocabularySize, E)
        let layers = (0..<c.layerCount).map { l in
            LayerWeights(attentionNorm: norm("\(l).an", E), query: matrix("\(l).q", q, E), key: matrix("\(l).k", kv, E),
                         value: matrix("\(l).v", kv, E), output: matrix("\(l).o", E, q),
                         queryBias: c.attentionBias ? values("\(l).qb", q, scale: 0.5) : nil,
                         keyBias: c.attentionBias ? values("\(l).kb", kv, scale: 0.5) : nil,
                         valueBias: c.attentionBias ? values("\(l).vb", kv, scale: 0.5) : nil,
                         feedForwardNorm: norm("\(l).fn", E), gate: matrix("\(l).g", F, E), up: matrix("\(l).u", F, E),
                         down: matrix("\(l).d", E, F))
        }
        let weights = ModelWeights(tokenEmbedding: embedding, layers: layers, outputNorm: norm("on", E), output: embedding)
        return Tiny(model: LanguageModel(config: c, weights: weights, backend: backend, threads: threads, kvType: kvType),
                    raw: raw)
    }

    /// The whole sequence at once in Double, straight from the definitions: logits [T × vocabulary]. With a
    /// Float16 `kvType` the keys (after RoPE) and values are rounded to Float16, as the cache stores them.
    static func naiveLogits(_ tiny: Tiny, _ ids: [Int], kvType: KVDType = .float32) -> [[Double]] {
        let c = tiny.model.config, w = tiny.raw
        let E = c.embeddingLength, d = c.headDim, H = c.headCount, G = c.groupSize, F = c.feedForwardLength
        func mat(_ name: String, _ x: [Double], rows: Int) -> [Double] {
            let m = w[name]!, cols = x.count
            return (0..<rows).map { r in (0..<cols).reduce(0.0) { $0 + Double(m[r * cols + $1]) * x[$1] } }
        }
        func rms(_ x: [Double], _ name: String) -> [Double] {
            let s = (x.map { $0 * $0 }.reduce(0, +) / Double(x.count) + Double(c.rmsEpsilon)).squareRoot()
            return x.indices.map { x[$0] / s * Double(w[name]![$0]) }
        }
        func rope(_ v: [Double], pos: Int) -> [Double] {
            var v = v
            for h in 0..<(v.count / d) {
                for i in 0..<(d / 2) {
                    let (a, b) = c.ropeStyle == .adjacentPairs ? (2 * i, 2 * i + 1) : (i, i + d / 2)
                    let angle = Double(pos) * pow(Double(c.ropeTheta), -2 * Double(i) / Double(d))
                    let x0 = v[h * d + a], x1 = v[h * d + b]
                    v[h * d + a] = x0 * cos(angle) - x1 * sin(angle)
                    v[h * d + b] = x0 * sin(angle) + x1 * cos(angle)
                }
            }
            return v
        }
        func add(_ a: [Double], _ b: [Float]?) -> [Double] { b.map { b in a.indices.map { a[$0] + Double(b[$0]) } } ?? a }
        var xs: [[Double]] = ids.map { id in (0..<E).map { Double(w["embd"]![id * E + $0]) } }
        for l in 0..<c.layerCount {
            let n = xs.map { rms($0, "\(l).an") }
            let qs = n.enumerated().map { rope(add(mat("\(l).q", $1, rows: H * d), w["\(l).qb"]), pos: $0) }
            func stored(_ x: [Double]) -> [Double] { kvType == .float16 ? x.map { Double(Float16(Float($0))) } : x }
            let ks = n.enumerated().map { stored(rope(add(mat("\(l).k", $1, rows: c.kvHeadCount * d), w["\(l).kb"]), pos: $0)) }
            let vs = n.map { stored(add(mat("\(l).v", $0, rows: c.kvHeadCount * d), w["\(l).vb"])) }
            for t in 0..<ids.count {
                var attended = [Double](repeating: 0, count: H * d)
                for h in 0..<H {
                    let g = h / G
                    let scores = (0...t).map { j in (0..<d).reduce(0.0) { $0 + qs[t][h * d + $1] * ks[j][g * d + $1] } / Double(d).squareRoot() }
                    let m = scores.max()!
                    let e = scores.map { exp($0 - m) }, z = e.reduce(0, +)
                    for j in 0...t { for i in 0..<d { attended[h * d + i] += e[j] / z * vs[j][g * d + i] } }
                }
                let o = mat("\(l).o", attended, rows: E)
                xs[t] = xs[t].indices.map { xs[t][$0] + o[$0] }
                let fn = rms(xs[t], "\(l).fn")
                let gate = mat("\(l).g", fn, rows: F), up = mat("\(l).u", fn, rows: F)
                let act = gate.indices.map { gate[$0] / (1 + exp(-gate[$0])) * up[$0] }
                let down = mat("\(l).d", act, rows: E)
                xs[t] = xs[t].indices.map { xs[t][$0] + down[$0] }
            }
        }
        return xs.map { mat("embd", rms($0, "on"), rows: c.vocabularySize) }
    }

    static let ids = [3, 17, 42, 8, 8, 29, 0, 49, 11, 23, 5]

    /// Float32 and Float16 caches, each against the naive forward on the keys and values it stores: the
    /// Float16 run is also checked to differ from the unrounded forward by more than the tolerance, so the
    /// comparison would see a cache that stored one thing and attended over another.
    @Test(arguments: [RoPEStyle.adjacentPairs, .halfSplit], [KVDType.float32, .float16])
    func prefillMatchesNaiveDouble(style: RoPEStyle, kvType: KVDType) throws {
        let tiny = Self.tiny(style, kvType: kvType)
        let want = Self.naiveLogits(tiny, Self.ids, kvType: kvType)
        // Chunks of 4: the second and third chunks attend to cached keys of earlier chunks.
        let cache = tiny.model.makeCache(capacity: 4)
        var got: [Float] = []
        for start in stride(from: 0, to: Self.ids.count, by: 4) {
            got += try tiny.model.forward(Array(Self.ids[start..<min(Self.ids.count, start + 4)]), cache: cache, logits: .all)
        }
        let V = tiny.model.config.vocabularySize
        var worst = 0.0
        for t in Self.ids.indices { for j in 0..<V { worst = max(worst, abs(Double(got[t * V + j]) - want[t][j])) } }
        #expect(worst < 1e-4, "largest logit difference \(worst)")
        if kvType == .float16 {
            let unrounded = Self.naiveLogits(tiny, Self.ids)
            var apart = 0.0
            for t in Self.ids.indices { for j in 0..<V { apart = max(apart, abs(Double(got[t * V + j]) - unrounded[t][j])) } }
            #expect(apart > 1e-4, "Float16 cache within \(apart) of the unrounded forward")
        }
    }

    /// 32 query heads on 2 KV heads (G = 16): prefill attention stacks a group's heads 32 positions at a time
    /// (`prefillAttentionPositions`), so a 40-token chunk runs two blocks of different widths, the second chunk
    /// more over cached keys; the logits still match the naive Double forward.
    @Test(arguments: [RoPEStyle.adjacentPairs, .halfSplit], [KVDType.float32, .float16])
    func prefillInStackedBlocksMatchesNaiveDouble(style: RoPEStyle, kvType: KVDType) throws {
        let tiny = Self.tiny(style, heads: 32, kvType: kvType)
        #expect(LanguageModel.prefillAttentionPositions(group: tiny.model.config.groupSize) == 32)
        var rng = SeededGenerator(seed: 9)
        let ids = (0..<60).map { _ in Int.random(in: 0..<50, using: &rng) }
        let want = Self.naiveLogits(tiny, ids, kvType: kvType)
        let cache = tiny.model.makeCache(capacity: 4)
        var got = try tiny.model.forward(Array(ids[0..<40]), cache: cache, logits: .all)
        got += try tiny.model.forward(Array(ids[40...]), cache: cache, logits: .all)
        let V = tiny.model.config.vocabularySize
        var worst = 0.0
        for t in ids.indices { for j in 0..<V { worst = max(worst, abs(Double(got[t * V + j]) - want[t][j])) } }
        #expect(worst < 1e-4, "largest logit difference \(worst)")
    }

    /// Float32 to 1e-5; Float16 to 1e-4, because a last-bit difference between the recompute's batched
    /// products and the steps' can round a key or value to the neighbouring Float16 (2⁻¹¹ relative).
    @Test(arguments: [RoPEStyle.adjacentPairs, .halfSplit], [KVDType.float32, .float16])
    func cachedDecodeMatchesFullRecompute(style: RoPEStyle, kvType: KVDType) throws {
        let tiny = Self.tiny(style, kvType: kvType)
        let tolerance: Float = kvType == .float32 ? 1e-5 : 1e-4
        let session = tiny.model.makeSession()
        try session.prefill(Array(Self.ids[0..<4]), chunkSize: 3)
        for t in 4..<Self.ids.count {
            try session.step(Self.ids[t])
            let full = try tiny.model.forward(Array(Self.ids[0...t]), cache: tiny.model.makeCache(capacity: 1), logits: .last)
            let worst = zip(session.nextLogits, full).map { abs($0 - $1) }.max()!
            #expect(worst < tolerance, "step \(t): largest logit difference \(worst)")
        }
    }

    @Test(arguments: [KVDType.float32, .float16])
    func meanNLLMatchesNaive(kvType: KVDType) throws {
        let tiny = Self.tiny(.adjacentPairs, kvType: kvType)
        let want = Self.naiveLogits(tiny, Self.ids, kvType: kvType)
        var nll = 0.0
        for t in 0..<(Self.ids.count - 1) {
            let m = want[t].max()!
            nll += m + log(want[t].map { exp($0 - m) }.reduce(0, +)) - want[t][Self.ids[t + 1]]
        }
        nll /= Double(Self.ids.count - 1)
        let got = try tiny.model.meanNLL(ids: Self.ids, chunkSize: 5)
        #expect(abs(got - nll) < 1e-4)
    }

    /// The seam with ExactAttention in every layer reproduces plain exact decoding bit for bit: same keys,
    /// same grouped kernels.
    @Test func exactSeamEqualsPlainDecoding() throws {
        let tiny = Self.tiny(.halfSplit)
        let plain = tiny.model.makeSession()
        let seamed = tiny.model.makeSession(seam: AttentionSeam(approximator: ExactAttention(), denseLayers: []))
        for s in [plain, seamed] { try s.prefill(Array(Self.ids[0..<6])) }
        let a = try plain.greedy(maxTokens: 8), b = try seamed.greedy(maxTokens: 8)
        #expect(a == b)
        #expect(plain.nextLogits == seamed.nextLogits)
        #expect(seamed.statistics.attends == 7 * 2 * 4)  // 7 steps × 2 layers × 4 query heads
        #expect(seamed.statistics.meanCostFraction == 1)
        #expect(seamed.preparedPromptLength == 6)
        #expect(throws: ModelError.prefillAfterDecoding) { try seamed.prefill([1]) }
    }

    /// Several tokens fed as decode steps in one pass (setup B's question) equal one `step` per token, up to
    /// the rounding of the batched matrix products, with and without approximators; the exact seam still
    /// reproduces plain decoding bit for bit.
    @Test func batchedStepsEqualSingleSteps() throws {
        let tiny = Self.tiny(.halfSplit)
        let question = [3, 17, 42, 8, 25]
        let protocolSpec = AttentionProtocol(sinkTokens: 1, localWindow: 2)
        let seams: [AttentionSeam?] = [
            nil,
            AttentionSeam(approximator: ExactAttention(), denseLayers: []),
            AttentionSeam(approximator: try ApproximatorRegistry.make("topk", ["count": .int(2)]), denseLayers: [0],
                          attentionProtocol: protocolSpec),
            AttentionSeam(approximator: try ApproximatorRegistry.make("streaming_llm"), denseLayers: [],
                          attentionProtocol: protocolSpec),
        ]
        var batchedLogits: [[Float]] = []
        for seam in seams {
            let single = tiny.model.makeSession(seam: seam), batched = tiny.model.makeSession(seam: seam)
            for s in [single, batched] { try s.prefill(Array(Self.ids[0..<8])) }
            for id in question { try single.step(id) }
            try batched.step(question)
            #expect(batched.tokens == single.tokens)
            #expect(batched.statistics.attends == single.statistics.attends)
            #expect(batched.statistics.keysAttended == single.statistics.keysAttended)
            let worst = zip(batched.nextLogits, single.nextLogits).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-4, "batched vs single steps: max |Δlogit| \(worst)")
            #expect(try batched.greedy(maxTokens: 6) == single.greedy(maxTokens: 6))
            batchedLogits.append(batched.nextLogits)
        }
        #expect(batchedLogits[0] == batchedLogits[1])
        #expect(batchedLogits[2] != batchedLogits[0])
        #expect(throws: ModelError.emptyInput) { try tiny.model.makeSession().step([1]) }
    }

    /// An approximator that drops keys changes the logits in sparse layers only; dense layers stay exact.
    @Test func denseLayersStayExact() throws {
        let tiny = Self.tiny(.adjacentPairs)
        let window = try ApproximatorRegistry.make("streaming_llm")
        let allDense = tiny.model.makeSession(seam: AttentionSeam(approximator: window, denseLayers: [0, 1],
                                                                  attentionProtocol: AttentionProtocol(sinkTokens: 1, localWindow: 2)))
        let plain = tiny.model.makeSession()
        let sparse = tiny.model.makeSession(seam: AttentionSeam(approximator: window, denseLayers: [0],
                                                                attentionProtocol: AttentionProtocol(sinkTokens: 1, localWindow: 2)))
        for s in [allDense, plain, sparse] {
            try s.prefill(Self.ids)
            try s.step(7)
        }
        #expect(allDense.nextLogits == plain.nextLogits)
        #expect(allDense.statistics.attends == 0)
        #expect(sparse.nextLogits != plain.nextLogits)
        #expect(sparse.statistics.attends == 4)
    }

    @Test func typedErrors() throws {
        let tiny = Self.tiny(.adjacentPairs)
        let session = tiny.model.makeSession()
        #expect(throws: ModelError.tokenOutOfRange(50, vocabularySize: 50)) { try session.prefill([1, 50]) }
        #expect(throws: ModelError.emptyInput) { try session.prefill([]) }
        #expect(throws: ModelError.contextFull(needed: 65, contextLength: 64)) {
            try session.prefill([Int](repeating: 1, count: 65))
        }
    }
}

extension Array {
    fileprivate func also(_ body: (Self) -> Void) -> Self { body(self); return self }
}
