/// The keys and values of one KV head, row-major [count, headDim], growing as tokens are
/// generated. Value semantics (copy-on-write), so one prefill can seed several approximators.
public struct HeadCache: Sendable {
    public let headDim: Int
    public private(set) var keys: [Float]
    public private(set) var values: [Float]

    public var count: Int { keys.count / headDim }

    public init(headDim: Int, keys: [Float] = [], values: [Float] = []) {
        precondition(headDim > 0, "headDim must be positive")
        precondition(keys.count == values.count && keys.count % headDim == 0,
                     "keys and values must both be [count, headDim]")
        self.headDim = headDim
        self.keys = keys
        self.values = values
    }

    public mutating func append(key: [Float], value: [Float]) {
        precondition(key.count == headDim && value.count == headDim, "append: row length must equal headDim")
        keys.append(contentsOf: key)
        values.append(contentsOf: value)
    }

    /// The first `n` tokens.
    public func prefix(_ n: Int) -> HeadCache {
        let m = min(n, count) * headDim
        return HeadCache(headDim: headDim, keys: Array(keys[0..<m]), values: Array(values[0..<m]))
    }

    public func key(_ i: Int) -> ArraySlice<Float> { keys[(i * headDim)..<((i + 1) * headDim)] }
    public func value(_ i: Int) -> ArraySlice<Float> { values[(i * headDim)..<((i + 1) * headDim)] }
}
