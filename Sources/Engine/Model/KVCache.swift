/// Post-RoPE keys and values of every layer and KV head, Float32, row-major [tokens × headDim] per
/// (layer, KV head) so that one head's keys are contiguous for the attention kernels and for `HeadCache`.
public final class KVCache: @unchecked Sendable {
    public let layerCount: Int
    public let kvHeadCount: Int
    public let headDim: Int
    /// Tokens stored (the same in every layer once a forward pass has finished).
    public private(set) var count = 0
    private(set) var capacity = 0
    private var keys: [UnsafeMutablePointer<Float>] = []
    private var values: [UnsafeMutablePointer<Float>] = []

    public init(layerCount: Int, kvHeadCount: Int, headDim: Int, capacity: Int = 256) {
        self.layerCount = layerCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim
        reserve(capacity)
    }

    deinit {
        keys.forEach { $0.deallocate() }
        values.forEach { $0.deallocate() }
    }

    /// Makes room for `tokens` tokens in all, doubling so appends stay amortised O(1).
    func reserve(_ tokens: Int) {
        guard tokens > capacity else { return }
        let newCapacity = max(tokens, 2 * capacity)
        func grow(_ old: [UnsafeMutablePointer<Float>]) -> [UnsafeMutablePointer<Float>] {
            (0..<(layerCount * kvHeadCount)).map { i in
                let p = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity * headDim)
                if i < old.count {
                    p.update(from: old[i], count: count * headDim)
                    old[i].deallocate()
                }
                return p
            }
        }
        keys = grow(keys)
        values = grow(values)
        capacity = newCapacity
    }

    func keys(layer: Int, head: Int) -> UnsafeMutablePointer<Float> { keys[layer * kvHeadCount + head] }
    func values(layer: Int, head: Int) -> UnsafeMutablePointer<Float> { values[layer * kvHeadCount + head] }

    /// Writes token rows [start, start + tokens) of one layer from K and V laid out [tokens × kvHeads·headDim].
    func store(layer: Int, start: Int, tokens: Int, keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>) {
        precondition(start + tokens <= capacity)
        let width = kvHeadCount * headDim
        for h in 0..<kvHeadCount {
            let kd = keys(layer: layer, head: h), vd = values(layer: layer, head: h)
            for t in 0..<tokens {
                (kd + (start + t) * headDim).update(from: k + t * width + h * headDim, count: headDim)
                (vd + (start + t) * headDim).update(from: v + t * width + h * headDim, count: headDim)
            }
        }
    }

    func setCount(_ n: Int) { count = n }

    /// An independent cache holding the same `count` tokens (a shared prompt's prefill reused by several
    /// decodes: RULER samples under many methods).
    func copy() -> KVCache {
        let twin = KVCache(layerCount: layerCount, kvHeadCount: kvHeadCount, headDim: headDim, capacity: max(count, 1))
        for i in 0..<(layerCount * kvHeadCount) {
            twin.keys[i].update(from: keys[i], count: count * headDim)
            twin.values[i].update(from: values[i], count: count * headDim)
        }
        twin.count = count
        return twin
    }

    /// One head's cache as the approximators take it.
    public func headCache(layer: Int, head: Int) -> HeadCacheSnapshot {
        let n = count * headDim
        return HeadCacheSnapshot(keys: Array(UnsafeBufferPointer(start: keys(layer: layer, head: head), count: n)),
                                 values: Array(UnsafeBufferPointer(start: values(layer: layer, head: head), count: n)))
    }
}

/// Copies of one head's keys and values, [count × headDim] each.
public struct HeadCacheSnapshot: Sendable {
    public var keys: [Float]
    public var values: [Float]
}
