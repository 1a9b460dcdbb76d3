import Approximators
import Kernels

/// Which positions of a forward pass produce logits.
enum LogitRows { case none, last, all }

/// A prepared approximator head, boxed for the thread pool (each box is driven by one thread at a time).
final class PreparedHeadBox: @unchecked Sendable {
    let head: any PreparedAttentionHead
    init(_ head: any PreparedAttentionHead) { self.head = head }
}

/// Attention costs reported by the approximators during decoding, summed.
public struct AttentionStatistics: Sendable, Equatable {
    /// Query-head attends through an approximator.
    public var attends = 0
    /// Σ costFraction (the authors' cost: MagicPIG |S|/n_middle, TopK kept/all, …).
    public var costFractionSum = 0.0
    public var keysAttended = 0
    public var keysTotal = 0
    public var meanCostFraction: Double { attends == 0 ? 0 : costFractionSum / Double(attends) }
}

extension LanguageModel {
    /// Runs `tokens` at positions [cache.count, cache.count + tokens.count), appending their keys and values
    /// to `cache`. Returns the logits of the requested rows, [rows × vocabulary].
    ///
    /// Attention is exact and causal (the prefill kernel) unless the tokens are decode steps — one token, or
    /// `stepwise` — where each token in turn attends as a decode step: through the prepared approximator
    /// heads in the layers that have them, else exactly with the decode kernel. The matrix products always
    /// take all the tokens at once.
    func forward(_ tokens: [Int], cache: KVCache, logits rows: LogitRows, stepwise: Bool = false,
                 heads: [[PreparedHeadBox]?]? = nil, statistics: UnsafeMutablePointer<AttentionStatistics>? = nil,
                 observer: ActivationObserver? = nil) throws -> [Float] {
        let c = config
        let T = tokens.count, start = cache.count
        guard T > 0 else { throw ModelError.emptyInput }
        for id in tokens where id < 0 || id >= c.vocabularySize {
            throw ModelError.tokenOutOfRange(id, vocabularySize: c.vocabularySize)
        }
        guard start + T <= c.contextLength else { throw ModelError.contextFull(needed: start + T, contextLength: c.contextLength) }
        cache.reserve(start + T)

        let E = c.embeddingLength, d = c.headDim, H = c.headCount, Hkv = c.kvHeadCount, F = c.feedForwardLength
        let qWidth = H * d, kvWidth = Hkv * d
        let buffer = Workspace()
        defer { buffer.release() }
        let x = buffer.take(T * E), xn = buffer.take(T * E)
        let q = buffer.take(T * qWidth), k = buffer.take(T * kvWidth), v = buffer.take(T * kvWidth)
        let attended = buffer.take(T * qWidth), projected = buffer.take(T * E)
        let gate = buffer.take(T * F), up = buffer.take(T * F)

        for (t, id) in tokens.enumerated() { weights.tokenEmbedding.dequantize(rows: id..<(id + 1), into: x + t * E) }

        for (l, layer) in weights.layers.enumerated() {
            normalize(x, weight: layer.attentionNorm, rows: T, into: xn)
            linear(xn, rows: T, [(layer.query, q, layer.queryBias), (layer.key, k, layer.keyBias),
                                 (layer.value, v, layer.valueBias)])
            for t in 0..<T {
                LayerMath.rope(q + t * qWidth, heads: H, headDim: d, dimensions: c.ropeDimensions,
                               position: start + t, theta: c.ropeTheta, style: c.ropeStyle)
                LayerMath.rope(k + t * kvWidth, heads: Hkv, headDim: d, dimensions: c.ropeDimensions,
                               position: start + t, theta: c.ropeTheta, style: c.ropeStyle)
            }
            // K and V as the cache stores them, for every reader below (llama.cpp's attention reads its f16 cache).
            cache.dtype.round(k, count: T * kvWidth)
            cache.dtype.round(v, count: T * kvWidth)
            cache.store(layer: l, start: start, tokens: T, keys: k, values: v)
            if let observer {
                observer(LayerActivations(
                    layer: l, firstPosition: start, tokenCount: T,
                    queries: Array(UnsafeBufferPointer(start: q, count: T * qWidth)),
                    keys: Array(UnsafeBufferPointer(start: k, count: T * kvWidth)),
                    values: Array(UnsafeBufferPointer(start: v, count: T * kvWidth))))
            }
            if T == 1 || stepwise {
                for t in 0..<T {
                    if let layerHeads = heads?[l] {
                        approximateAttention(q + t * qWidth, k + t * kvWidth, v + t * kvWidth, heads: layerHeads,
                                             into: attended + t * qWidth, statistics: statistics)
                    } else {
                        decodeAttention(q + t * qWidth, layer: l, cache: cache, length: start + t + 1,
                                        into: attended + t * qWidth)
                    }
                }
            } else {
                prefillAttention(q, layer: l, cache: cache, start: start, tokens: T, into: attended)
            }
            linear(attended, rows: T, [(layer.output, projected, nil)])
            for i in 0..<(T * E) { x[i] += projected[i] }

            normalize(x, weight: layer.feedForwardNorm, rows: T, into: xn)
            linear(xn, rows: T, [(layer.gate, gate, nil), (layer.up, up, nil)])
            swiGLU(gate, up, rows: T)
            linear(gate, rows: T, [(layer.down, projected, nil)])
            for i in 0..<(T * E) { x[i] += projected[i] }
        }
        cache.setCount(start + T)

        let V = c.vocabularySize
        switch rows {
        case .none:
            return []
        case .last:
            normalize(x + (T - 1) * E, weight: weights.outputNorm, rows: 1, into: xn)
            var logits = [Float](repeating: 0, count: V)
            logits.withUnsafeMutableBufferPointer { linear(xn, rows: 1, [(weights.output, $0.baseAddress!, nil)]) }
            return logits
        case .all:
            normalize(x, weight: weights.outputNorm, rows: T, into: xn)
            var logits = [Float](repeating: 0, count: T * V)
            logits.withUnsafeMutableBufferPointer { linear(xn, rows: T, [(weights.output, $0.baseAddress!, nil)]) }
            return logits
        }
    }

    func normalize(_ x: UnsafePointer<Float>, weight: [Float], rows: Int, into y: UnsafeMutablePointer<Float>) {
        let E = config.embeddingLength
        weight.withUnsafeBufferPointer { w in
            for t in 0..<rows {
                LayerMath.rmsNorm(x + t * E, weight: w.baseAddress!, epsilon: config.rmsEpsilon, count: E, into: y + t * E)
            }
        }
    }

    /// gate ← silu(gate) ⊙ up over `rows` rows of the feed-forward width. Prefill rows are split over the
    /// threads (element-wise, so the same numbers): run on one thread it was ≈ 8 % of a 4096-token Qwen
    /// prefill's wall time, the other core idle.
    func swiGLU(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, rows: Int) {
        let F = config.feedForwardLength
        let pieces = rows >= 4 * threads ? threads : 1
        if pieces == 1 { LayerMath.swiGLU(gate, up, count: rows * F); return }
        let g = SendablePointer(gate), u = SendablePointer(UnsafeMutablePointer(mutating: up))
        Parallel.forEach(pieces, threads: threads) { p in
            let lo = rows * p / pieces, hi = rows * (p + 1) / pieces
            LayerMath.swiGLU(g.pointer + lo * F, u.pointer + lo * F, count: (hi - lo) * F)
        }
    }

    // MARK: - Attention

    /// One new token attending exactly over `length` cached positions — through `DecodeAttention`, whose
    /// (KV head, sequence piece) items keep all threads busy; `ExactAttention` runs the same pieces one
    /// head at a time, so the seam with the exact method reproduces this path bit for bit.
    func decodeAttention(_ q: UnsafePointer<Float>, layer: Int, cache: KVCache, length n: Int,
                         into out: UnsafeMutablePointer<Float>) {
        let G = config.groupSize
        let heads = (0..<config.kvHeadCount).map { cache.head(layer: layer, $0) }
        let lse = UnsafeMutablePointer<Float>.allocate(capacity: config.headCount)
        defer { lse.deallocate() }
        DecodeAttention.attend(queries: q, group: G, heads: heads, rows: 0..<n, threads: threads,
                               outputs: out, logSumExp: lse)
    }

    /// One new token through the approximators: each KV head's prepared state takes the token's key and
    /// value (generated tokens are attended exactly), then attends its GQA group's queries.
    func approximateAttention(_ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, _ v: UnsafePointer<Float>,
                              heads: [PreparedHeadBox], into out: UnsafeMutablePointer<Float>,
                              statistics: UnsafeMutablePointer<AttentionStatistics>?) {
        let d = config.headDim, G = config.groupSize
        let qp = SendablePointer(UnsafeMutablePointer(mutating: q)), op = SendablePointer(out)
        let kp = SendablePointer(UnsafeMutablePointer(mutating: k)), vp = SendablePointer(UnsafeMutablePointer(mutating: v))
        let costs = UnsafeMutablePointer<AttentionStatistics>.allocate(capacity: heads.count)
        defer { costs.deallocate() }
        costs.initialize(repeating: AttentionStatistics(), count: heads.count)
        let cp = SendablePointer(costs)
        Parallel.forEach(heads.count, threads: threads) { g in
            let head = heads[g].head
            head.append(key: Array(UnsafeBufferPointer(start: kp.pointer + g * d, count: d)),
                        value: Array(UnsafeBufferPointer(start: vp.pointer + g * d, count: d)))
            let queries = (0..<G).map { i in Array(UnsafeBufferPointer(start: qp.pointer + (g * G + i) * d, count: d)) }
            let results = head.attend(queries: queries, recordWeights: false)
            for (i, r) in results.enumerated() {
                r.output.withUnsafeBufferPointer { (op.pointer + (g * G + i) * d).update(from: $0.baseAddress!, count: d) }
                cp.pointer[g].attends += 1
                cp.pointer[g].costFractionSum += r.cost.costFraction
                cp.pointer[g].keysAttended += r.cost.keysAttended
                cp.pointer[g].keysTotal += r.cost.keysTotal
            }
        }
        if let statistics {
            for g in 0..<heads.count {
                statistics.pointee.attends += costs[g].attends
                statistics.pointee.costFractionSum += costs[g].costFractionSum
                statistics.pointee.keysAttended += costs[g].keysAttended
                statistics.pointee.keysTotal += costs[g].keysTotal
            }
        }
    }

    /// Positions of a prefill chunk whose attention is computed together for one KV head: the G query heads
    /// of its group are stacked, so a block is about 512 query rows (G = 7: 64 positions, 448 rows; G = 3:
    /// 160 positions; G = 1: 512). Each block multiplies only the keys its last position can see, so most of
    /// the causal triangle inside a chunk is skipped, and its scores (448 × 4096 floats, 7 MB, at Qwen's 4096
    /// tokens) stay in the caches between the two products.
    static func prefillAttentionPositions(group: Int) -> Int { max(16, (512 / max(1, group)) / 16 * 16) }

    /// Exact causal attention of `tokens` new positions over the cache through the backend, one (KV head,
    /// block of positions) at a time: the block's queries of all G heads of the group stacked as one matrix,
    /// S = Q·Kᵀ/√d over the keys the block can see, each row's softmax over the keys at or before its
    /// position, then S·V.
    ///
    /// Why stacked: the backend packs K (for S) and V (for S·V) once per product; one product per query head
    /// packed each KV head's keys and values G times per block (`sgemm_oncopy`, ≈ 6 % of a 4096-token Qwen
    /// prefill), and a product of G times more rows also runs closer to the kernel's peak.
    func prefillAttention(_ q: UnsafePointer<Float>, layer: Int, cache: KVCache, start: Int, tokens T: Int,
                          into out: UnsafeMutablePointer<Float>) {
        let d = config.headDim, H = config.headCount, G = config.groupSize, Hkv = config.kvHeadCount
        let R = Self.prefillAttentionPositions(group: G), blocks = (T + R - 1) / R
        let scale = 1 / Float(d).squareRoot()
        let qp = SendablePointer(UnsafeMutablePointer(mutating: q)), op = SendablePointer(out)
        let backend = self.backend
        let rows = cache.floatRows(layer: layer, rows: start + T, threads: threads)
        // Later blocks see more keys: hand them out first so the threads finish together.
        Parallel.forEach(Hkv * blocks, threads: threads) { item in
            let b = blocks - 1 - item / Hkv, g = item % Hkv
            let r0 = b * R, rb = min(R, T - r0), width = start + r0 + rb, M = rb * G
            let stacked = UnsafeMutablePointer<Float>.allocate(capacity: M * d)
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: M * width)
            let result = UnsafeMutablePointer<Float>.allocate(capacity: M * d)
            defer { stacked.deallocate(); scores.deallocate(); result.deallocate() }
            // Row t·G + j: position r0 + t, query head g·G + j (a position's G heads are contiguous in q).
            for t in 0..<rb { (stacked + t * G * d).update(from: qp.pointer + (r0 + t) * H * d + g * G * d, count: G * d) }
            backend.matrixProduct(m: M, n: width, k: d, a: stacked, lda: d, b: rows.keys[g], ldb: d,
                                  transposeB: true, c: scores, ldc: width)
            for r in 0..<M {
                let row = scores + r * width, valid = start + r0 + r / G + 1
                for j in 0..<valid { row[j] *= scale }
                Softmax.inPlace(row, count: valid)
                (row + valid).update(repeating: 0, count: width - valid)
            }
            backend.matrixProduct(m: M, n: d, k: width, a: scores, lda: width, b: rows.values[g],
                                  ldb: d, transposeB: false, c: result, ldc: d)
            for t in 0..<rb { (op.pointer + (r0 + t) * H * d + g * G * d).update(from: result + t * G * d, count: G * d) }
        }
    }
}

/// Scratch buffers for one forward pass, released together.
final class Workspace {
    private var buffers: [UnsafeMutablePointer<Float>] = []
    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        p.initialize(repeating: 0, count: max(count, 1))
        buffers.append(p)
        return p
    }
    func release() { buffers.forEach { $0.deallocate() }; buffers = [] }
}
