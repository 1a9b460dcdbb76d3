/// One KV head's keys and values as the decode kernels read them: [rows, dim] each, contiguous,
/// Float32 or Float16.
///
/// Why a view: the bench and the engine keep a layer's cache in one `LayerKV`, the replay's
/// approximators keep each head in growable Float rows; both hand the kernels a `KVHead`, so dense,
/// TopK and MagicPIG attention have one implementation each whichever cache they run on. The view
/// does not own the memory: it is valid while the owner neither frees nor grows it.
public struct KVHead: @unchecked Sendable {
    public let keys: UnsafeRawPointer
    public let values: UnsafeRawPointer
    public let dim: Int
    public let dtype: KVDType

    /// Any dim ≥ 1: the kernels run 16 lanes at a time and finish a row's last dim % 16 elements
    /// scalar (the approximators' tests use head_dim 8; real models 64 or 128).
    public init(keys: UnsafeRawPointer, values: UnsafeRawPointer, dim: Int, dtype: KVDType) {
        precondition(dim >= 1, "KVHead: head_dim must be positive")
        self.keys = keys
        self.values = values
        self.dim = dim
        self.dtype = dtype
    }

    /// Float32 rows (the approximators' buffers).
    public init(keys: UnsafePointer<Float>, values: UnsafePointer<Float>, dim: Int) {
        self.init(keys: UnsafeRawPointer(keys), values: UnsafeRawPointer(values), dim: dim, dtype: .float32)
    }
}

extension LayerKV {
    /// KV head h's rows [0, capacity) as a view.
    public func head(_ h: Int) -> KVHead {
        precondition(h >= 0 && h < kvHeads, "LayerKV.head: \(h) outside 0..<\(kvHeads)")
        return KVHead(keys: keyBase(h), values: valueBase(h), dim: dim, dtype: dtype)
    }
}
