import Builtin

/// K/V rows stored as Float32 or Float16, widened to Float in registers.
///
/// Why 16-bit storage: decode attention over a long cache is bound by memory reads, so half the
/// bytes is up to twice the speed (and half the RAM: 1 GiB of fp32 K+V for 8 KV heads × 128 dims at
/// 128K tokens becomes 512 MiB). The widening is the vector `fpext` builtin (`Float16.widen`), which lowers to
/// F16C `vcvtph2ps` when the build targets a CPU that has it (`-target-cpu native`, Package.swift)
/// and to a per-lane library conversion otherwise: never a required instruction set.
public protocol KVElement: Sendable {
    /// The name a CSV records ("float32", "float16").
    static var dtype: KVDType { get }
    /// Sixteen consecutive elements starting at element `index` of `base`, as Float.
    static func load16(_ base: UnsafeRawPointer, _ index: Int) -> SIMD16<Float>
    /// Eight consecutive elements starting at element `index` of `base`, as Float (one 256-bit
    /// register: the width of the decode kernels' accumulators).
    static func load8(_ base: UnsafeRawPointer, _ index: Int) -> SIMD8<Float>
    /// One element as Float.
    static func load1(_ base: UnsafeRawPointer, _ index: Int) -> Float
    /// Stores x rounded to this type.
    static func store(_ x: Float, _ base: UnsafeMutableRawPointer, _ index: Int)
}

extension Float: KVElement {
    public static var dtype: KVDType { .float32 }
    @inlinable @inline(__always)
    public static func load16(_ base: UnsafeRawPointer, _ index: Int) -> SIMD16<Float> {
        base.loadUnaligned(fromByteOffset: index &* 4, as: SIMD16<Float>.self)
    }
    @inlinable @inline(__always)
    public static func load8(_ base: UnsafeRawPointer, _ index: Int) -> SIMD8<Float> {
        base.loadUnaligned(fromByteOffset: index &* 4, as: SIMD8<Float>.self)
    }
    @inlinable @inline(__always)
    public static func load1(_ base: UnsafeRawPointer, _ index: Int) -> Float {
        base.loadUnaligned(fromByteOffset: index &* 4, as: Float.self)
    }
    @inlinable @inline(__always)
    public static func store(_ x: Float, _ base: UnsafeMutableRawPointer, _ index: Int) {
        base.storeBytes(of: x, toByteOffset: index &* 4, as: Float.self)
    }
}

extension Float16: KVElement {
    public static var dtype: KVDType { .float16 }
    @inlinable @inline(__always)
    public static func load16(_ base: UnsafeRawPointer, _ index: Int) -> SIMD16<Float> {
        widen(base.loadUnaligned(fromByteOffset: index &* 2, as: SIMD16<Float16>.self))
    }
    @inlinable @inline(__always)
    public static func load8(_ base: UnsafeRawPointer, _ index: Int) -> SIMD8<Float> {
        widen(base.loadUnaligned(fromByteOffset: index &* 2, as: SIMD8<Float16>.self))
    }
    /// x widened lane by lane (exact). Through the vector `fpext` builtin rather than `SIMD16<Float>(x)`: the standard
    /// library's generic conversion was sometimes left out of line by the inliner (a call per 16 or 8 elements,
    /// the result passed back in pieces — the Float16 V sum with 16-lane rows ran 1.7× slower than with 8), where the
    /// builtin is one `vcvtph2ps` on a CPU with F16C and a per-lane library conversion elsewhere.
    @inlinable @inline(__always)
    public static func widen(_ x: SIMD16<Float16>) -> SIMD16<Float> {
        var r = SIMD16<Float>()
        r._storage._value = Builtin.fpext_Vec16xFPIEEE16_Vec16xFPIEEE32(x._storage._value)
        return r
    }
    @inlinable @inline(__always)
    public static func widen(_ x: SIMD8<Float16>) -> SIMD8<Float> {
        var r = SIMD8<Float>()
        r._storage._value = Builtin.fpext_Vec8xFPIEEE16_Vec8xFPIEEE32(x._storage._value)
        return r
    }
    @inlinable @inline(__always)
    public static func load1(_ base: UnsafeRawPointer, _ index: Int) -> Float {
        Float(base.loadUnaligned(fromByteOffset: index &* 2, as: Float16.self))
    }
    @inlinable @inline(__always)
    public static func store(_ x: Float, _ base: UnsafeMutableRawPointer, _ index: Int) {
        base.storeBytes(of: Float16(x), toByteOffset: index &* 2, as: Float16.self)
    }
}

/// The storage type of a K/V cache, chosen at run time.
public enum KVDType: String, Sendable, CaseIterable {
    case float32
    case float16

    public var bytesPerElement: Int { self == .float32 ? 4 : 2 }

    /// x as stored and read back (the values a reference must be run on to compare exactly).
    public func rounded(_ x: [Float]) -> [Float] {
        switch self {
        case .float32: return x
        case .float16: return x.map { Float(Float16($0)) }
        }
    }

    /// x[0..<count] replaced by the values this type stores for them (Float16: rounded to nearest even).
    public func round(_ x: UnsafeMutablePointer<Float>, count: Int) {
        guard self == .float16 else { return }
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(x + i).storeBytes(of: SIMD16<Float>(SIMD16<Float16>(v)), as: SIMD16<Float>.self)
            i += 16
        }
        while i < count { x[i] = Float(Float16(x[i])); i += 1 }
    }

    /// Stores `count` floats as elements [index, index + count) of `base`, rounding to this type.
    public func store(_ x: UnsafePointer<Float>, count: Int, into base: UnsafeMutableRawPointer, at index: Int) {
        switch self {
        case .float32:
            (base.assumingMemoryBound(to: Float.self) + index).update(from: x, count: count)
        case .float16:
            let out = base + index * 2
            var i = 0
            while i + 16 <= count {
                let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
                out.storeBytes(of: SIMD16<Float16>(v), toByteOffset: i * 2, as: SIMD16<Float16>.self)
                i += 16
            }
            while i < count { Float16.store(x[i], out, i); i += 1 }
        }
    }

    /// Elements [index, index + count) of `base` as a Float array.
    public func floats(_ base: UnsafeRawPointer, at index: Int, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, filled in
            if let o = out.baseAddress { load(base, at: index, count: count, into: o) }
            filled = count
        }
    }

    /// Elements [index, index + count) of `base` as Float into `out`.
    public func load(_ base: UnsafeRawPointer, at index: Int, count: Int, into out: UnsafeMutablePointer<Float>) {
        switch self {
        case .float32:
            out.update(from: base.assumingMemoryBound(to: Float.self) + index, count: count)
        case .float16:
            var i = 0
            while i + 16 <= count {
                UnsafeMutableRawPointer(out + i).storeBytes(of: Float16.load16(base, index + i), as: SIMD16<Float>.self)
                i += 16
            }
            while i < count { out[i] = Float16.load1(base, index + i); i += 1 }
        }
    }
}

/// The keys and values of all KV heads of one layer, row-major [kvHeads][capacity][dim] in one
/// element type, for the decode kernels. Rows [0, count) are valid; `append` adds a generated
/// token to every head. Not thread-safe for writes; kernels only read.
public final class LayerKV: @unchecked Sendable {
    public let kvHeads: Int
    public let dim: Int
    public let capacity: Int
    public let dtype: KVDType
    public private(set) var count: Int
    @usableFromInline let keys: UnsafeMutableRawPointer
    @usableFromInline let values: UnsafeMutableRawPointer

    /// Empty storage for up to `capacity` tokens. head_dim must be a multiple of 16 (the SIMD
    /// width of the kernels; every LLM head size we target is: 64, 128).
    public init(kvHeads: Int, dim: Int, capacity: Int, dtype: KVDType) {
        precondition(kvHeads >= 1 && capacity >= 0, "LayerKV: need at least one KV head")
        precondition(dim >= 16 && dim % 16 == 0, "LayerKV: head_dim \(dim) must be a positive multiple of 16")
        self.kvHeads = kvHeads
        self.dim = dim
        self.capacity = capacity
        self.dtype = dtype
        count = 0
        let bytes = max(1, kvHeads * capacity * dim * dtype.bytesPerElement)
        keys = LargeAllocation.allocate(byteCount: bytes)
        values = LargeAllocation.allocate(byteCount: bytes)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    /// Bytes of K and V for the valid rows (what one dense decode step reads).
    public var kvBytes: Int { 2 * kvHeads * count * dim * dtype.bytesPerElement }

    /// Writes rows [start, start + rows) of `kvHead` from Float ([rows, dim] each), rounding to the
    /// element type; grows `count` to cover them.
    public func write(kvHead: Int, start: Int, keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>, rows: Int) {
        precondition(kvHead >= 0 && kvHead < kvHeads && start >= 0 && start + rows <= capacity,
                     "LayerKV.write: rows \(start)..<\(start + rows) of head \(kvHead) outside capacity \(capacity)")
        let base = (kvHead * capacity + start) * dim
        dtype.store(k, count: rows * dim, into: keys, at: base)
        dtype.store(v, count: rows * dim, into: values, at: base)
        count = max(count, start + rows)
    }

    /// Convenience for arrays.
    public func write(kvHead: Int, start: Int, keys k: [Float], values v: [Float]) {
        precondition(k.count == v.count && k.count % dim == 0, "LayerKV.write: keys and values must be [rows, \(dim)]")
        k.withUnsafeBufferPointer { kb in
            v.withUnsafeBufferPointer { vb in
                write(kvHead: kvHead, start: start, keys: kb.baseAddress!, values: vb.baseAddress!, rows: k.count / dim)
            }
        }
    }

    /// Rows [range] of a head's keys (or values) as Float: the stored, possibly rounded, numbers.
    public func keys(kvHead: Int, rows range: Range<Int>) -> [Float] { read(keys, kvHead, range) }
    public func values(kvHead: Int, rows range: Range<Int>) -> [Float] { read(values, kvHead, range) }

    private func read(_ p: UnsafeMutableRawPointer, _ h: Int, _ range: Range<Int>) -> [Float] {
        dtype.floats(p, at: (h * capacity + range.lowerBound) * dim, count: range.count * dim)
    }

    /// Start of head h's keys / values (element 0 of row 0).
    @inlinable func keyBase(_ h: Int) -> UnsafeRawPointer {
        UnsafeRawPointer(keys + h * capacity * dim * dtype.bytesPerElement)
    }
    @inlinable func valueBase(_ h: Int) -> UnsafeRawPointer {
        UnsafeRawPointer(values + h * capacity * dim * dtype.bytesPerElement)
    }
}
