import Kernels

/// Post-RoPE keys and values of every layer and KV head, row-major [tokens × headDim] per (layer, KV head)
/// so that one head's keys are contiguous for the attention kernels and for `HeadCache`.
///
/// Stored as Float16 by default, as llama.cpp stores its cache (`type_k = type_v = f16`): a decode step reads
/// every cached key and value, and at 4096 tokens those bytes rival the weights' (SmolLM2: 189 MB of Float32
/// K/V against 96 MB of weights per token). Float32 keeps the unrounded values. The forward pass rounds K and V
/// to the storage type before anything reads them, so prefill, decode, the approximators and a capture all see
/// the stored numbers.
public final class KVCache: @unchecked Sendable {
    public let layerCount: Int
    public let kvHeadCount: Int
    public let headDim: Int
    public let dtype: KVDType
    /// Tokens stored (the same in every layer once a forward pass has finished).
    public private(set) var count = 0
    private(set) var capacity = 0
    private var keys: [UnsafeMutableRawPointer] = []
    private var values: [UnsafeMutableRawPointer] = []

    public init(layerCount: Int, kvHeadCount: Int, headDim: Int, dtype: KVDType = .float16, capacity: Int = 256) {
        self.layerCount = layerCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim
        self.dtype = dtype
        reserve(capacity)
    }

    deinit {
        keys.forEach { $0.deallocate() }
        values.forEach { $0.deallocate() }
    }

    private var rowBytes: Int { headDim * dtype.bytesPerElement }

    /// Index of (layer, KV head) in `keys` and `values`.
    private func slot(_ layer: Int, _ h: Int) -> Int { layer * kvHeadCount + h }

    /// Makes room for `tokens` tokens in all, doubling so appends stay amortised O(1).
    func reserve(_ tokens: Int) {
        guard tokens > capacity else { return }
        let newCapacity = max(tokens, 2 * capacity)
        let rowBytes = self.rowBytes, used = count * rowBytes
        func grow(_ old: [UnsafeMutableRawPointer]) -> [UnsafeMutableRawPointer] {
            (0..<(layerCount * kvHeadCount)).map { i in
                let p = UnsafeMutableRawPointer.allocate(byteCount: max(1, newCapacity * rowBytes), alignment: 64)
                if i < old.count {
                    p.copyMemory(from: old[i], byteCount: used)
                    old[i].deallocate()
                }
                return p
            }
        }
        keys = grow(keys)
        values = grow(values)
        capacity = newCapacity
    }

    /// One head's rows as the decode kernels read them (valid while the cache neither grows nor is freed).
    func head(layer: Int, _ h: Int) -> KVHead {
        KVHead(keys: keys[slot(layer, h)], values: values[slot(layer, h)], dim: headDim, dtype: dtype)
    }

    /// Writes token rows [start, start + tokens) of one layer from K and V laid out [tokens × kvHeads·headDim],
    /// converting to the storage type (exactly, once `dtype.round` has been applied to them).
    func store(layer: Int, start: Int, tokens: Int, keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>) {
        precondition(start + tokens <= capacity)
        let width = kvHeadCount * headDim
        for h in 0..<kvHeadCount {
            let kd = keys[slot(layer, h)], vd = values[slot(layer, h)]
            for t in 0..<tokens {
                dtype.store(k + t * width + h * headDim, count: headDim, into: kd, at: (start + t) * headDim)
                dtype.store(v + t * width + h * headDim, count: headDim, into: vd, at: (start + t) * headDim)
            }
        }
    }

    func setCount(_ n: Int) { count = n }

    /// Rows [0, rows) of every KV head of one layer as Float32, for the prefill's matrix products: the storage
    /// itself when it is Float32, else widened copies (Float16: ≈ 1 ms for Qwen's two heads at 4096 tokens,
    /// against the ≈ 0.1 s of a chunk's attention products).
    func floatRows(layer: Int, rows: Int, threads: Int) -> FloatRows {
        precondition(rows <= capacity)
        let heads = (0..<kvHeadCount).map { slot(layer, $0) }
        if dtype == .float32 {
            return FloatRows(keys: heads.map { UnsafePointer(keys[$0].assumingMemoryBound(to: Float.self)) },
                             values: heads.map { UnsafePointer(values[$0].assumingMemoryBound(to: Float.self)) }, owned: [])
        }
        let n = rows * headDim
        let copies = (0..<(2 * kvHeadCount)).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1)) }
        let cp = copies.map(SendablePointer.init)
        Parallel.forEach(2 * kvHeadCount, threads: threads) { i in
            let j = heads[i / 2]
            self.dtype.load(i % 2 == 0 ? self.keys[j] : self.values[j], at: 0, count: n, into: cp[i].pointer)
        }
        return FloatRows(keys: stride(from: 0, to: copies.count, by: 2).map { UnsafePointer(copies[$0]) },
                         values: stride(from: 1, to: copies.count, by: 2).map { UnsafePointer(copies[$0]) },
                         owned: copies)
    }

    /// An independent cache holding the same `count` tokens (a shared prompt's prefill reused by several
    /// decodes: RULER samples under many methods).
    func copy() -> KVCache {
        let twin = KVCache(layerCount: layerCount, kvHeadCount: kvHeadCount, headDim: headDim, dtype: dtype,
                           capacity: max(count, 1))
        for i in 0..<(layerCount * kvHeadCount) {
            twin.keys[i].copyMemory(from: keys[i], byteCount: count * rowBytes)
            twin.values[i].copyMemory(from: values[i], byteCount: count * rowBytes)
        }
        twin.count = count
        return twin
    }

    /// One head's cache as the approximators take it (the stored values, as Float).
    public func headCache(layer: Int, head: Int) -> HeadCacheSnapshot {
        let n = count * headDim, i = slot(layer, head)
        return HeadCacheSnapshot(keys: dtype.floats(keys[i], at: 0, count: n), values: dtype.floats(values[i], at: 0, count: n))
    }
}

/// One layer's keys and values as Float32 rows, per KV head; frees the widened copies it owns.
final class FloatRows: @unchecked Sendable {
    let keys: [UnsafePointer<Float>]
    let values: [UnsafePointer<Float>]
    private let owned: [UnsafeMutablePointer<Float>]

    init(keys: [UnsafePointer<Float>], values: [UnsafePointer<Float>], owned: [UnsafeMutablePointer<Float>]) {
        self.keys = keys
        self.values = values
        self.owned = owned
    }

    deinit { owned.forEach { $0.deallocate() } }
}

/// Copies of one head's keys and values, [count × headDim] each.
public struct HeadCacheSnapshot: Sendable {
    public var keys: [Float]
    public var values: [Float]
}
