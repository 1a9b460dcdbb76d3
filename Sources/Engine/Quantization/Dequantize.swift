/// Float32 from ggml's storage types, block by block.
///
/// Block layouts follow ggml (ggml-common.h, dequantize_row_* in ggml-quants.c); the `gguf` PyPI package's numpy
/// dequantisers are the reference the tests compare with. Each block's f16 scales are converted once, then the
/// products are formed in the same order as the reference (scale × quant, then ± the offset, two roundings, no
/// fused multiply-add), so results match it bit for bit.
///
/// Row-wise entry points (`GGUFFile.dequantize(_:rows:into:)`) let later code dequantise weights on the fly
/// instead of keeping a float copy of the model.
public enum Dequantize {
    /// Dequantises `count` elements starting at the beginning of a block at `source` into `destination`.
    /// `count` must be a multiple of `type.blockSize` and `type` one of `GGMLType.dequantisable`.
    @inlinable
    public static func elements(_ type: GGMLType, from source: UnsafeRawPointer, count: Int,
                                into destination: UnsafeMutablePointer<Float>) {
        precondition(count % type.blockSize == 0, "count \(count) is not a multiple of the \(type) block size")
        let blocks = count / type.blockSize
        let stride = type.blockBytes
        let size = type.blockSize
        switch type {
        case .f32:
            for i in 0 ..< count { destination[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        case .f16:
            for i in 0 ..< count { destination[i] = half(source, 2 * i) }
        case .bf16:
            // bfloat16 is the top half of a float32: widening is exact.
            for i in 0 ..< count { destination[i] = Float(bitPattern: UInt32(source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian) << 16) }
        case .q4_0: for b in 0 ..< blocks { q4_0(source + b * stride, destination + b * size) }
        case .q4_1: for b in 0 ..< blocks { q4_1(source + b * stride, destination + b * size) }
        case .q5_0: for b in 0 ..< blocks { q5_0(source + b * stride, destination + b * size) }
        case .q5_1: for b in 0 ..< blocks { q5_1(source + b * stride, destination + b * size) }
        case .q8_0: for b in 0 ..< blocks { q8_0(source + b * stride, destination + b * size) }
        case .q4_K: for b in 0 ..< blocks { q4_K(source + b * stride, destination + b * size) }
        case .q5_K: for b in 0 ..< blocks { q5_K(source + b * stride, destination + b * size) }
        case .q6_K: for b in 0 ..< blocks { q6_K(source + b * stride, destination + b * size) }
        default:
            preconditionFailure("no dequantiser for \(type); callers check GGMLType.isDequantisable")
        }
    }

    /// An IEEE half at a byte offset, widened (exact).
    @inlinable @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))))
    }

    @inlinable @inline(__always)
    static func byte(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 { p.load(fromByteOffset: offset, as: UInt8.self) }
}

// MARK: - 32-element blocks

extension Dequantize {
    /// Q4_0 (18 bytes): f16 d, 16 bytes of nibbles. Element j is the low nibble of byte j, element j+16 the
    /// high nibble; value = d·(q − 8).
    @inlinable @inline(__always)
    static func q4_0(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0)
        for j in 0 ..< 16 {
            let q = byte(x, 2 + j)
            y[j] = d * Float(Int32(q & 0x0F) - 8)
            y[j + 16] = d * Float(Int32(q >> 4) - 8)
        }
    }

    /// Q4_1 (20 bytes): f16 d, f16 m, 16 bytes of nibbles (as Q4_0); value = d·q + m.
    @inlinable @inline(__always)
    static func q4_1(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0), m = half(x, 2)
        for j in 0 ..< 16 {
            let q = byte(x, 4 + j)
            y[j] = d * Float(q & 0x0F) + m
            y[j + 16] = d * Float(q >> 4) + m
        }
    }

    /// Q5_0 (22 bytes): f16 d, u32 of fifth bits (bit j for element j), 16 bytes of nibbles (as Q4_0);
    /// value = d·(q − 16).
    @inlinable @inline(__always)
    static func q5_0(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0)
        for j in 0 ..< 16 {
            let (lo, hi) = q5_0Values(x, j)
            y[j] = d * Float(lo)
            y[j + 16] = d * Float(hi)
        }
    }

    /// The signed values q − 16 ∈ [−16, 15] of elements j and j + 16 of a Q5_0 block (j < 16): nibbles as
    /// Q4_0, the fifth bit of element i in bit i of the u32 after the scale. Also what
    /// `WeightMatrix.storedForDecode` stores as bytes.
    @inlinable @inline(__always)
    static func q5_0Values(_ x: UnsafeRawPointer, _ j: Int) -> (Int32, Int32) {
        let high = UInt32(littleEndian: x.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        let q = byte(x, 6 + j)
        let lo = Int32(q & 0x0F) | Int32((high >> UInt32(j)) & 1) << 4
        let hi = Int32(q >> 4) | Int32((high >> UInt32(j + 16)) & 1) << 4
        return (lo - 16, hi - 16)
    }

    /// Q5_1 (24 bytes): f16 d, f16 m, u32 of fifth bits, 16 bytes of nibbles; value = d·q + m.
    @inlinable @inline(__always)
    static func q5_1(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0), m = half(x, 2)
        let high = UInt32(littleEndian: x.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        for j in 0 ..< 16 {
            let q = byte(x, 8 + j)
            let lo = UInt32(q & 0x0F) | ((high >> UInt32(j)) & 1) << 4
            let hi = UInt32(q >> 4) | ((high >> UInt32(j + 16)) & 1) << 4
            y[j] = d * Float(lo) + m
            y[j + 16] = d * Float(hi) + m
        }
    }

    /// Q8_0 (34 bytes): f16 d, 32 signed bytes; value = d·q.
    @inlinable @inline(__always)
    static func q8_0(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0)
        for j in 0 ..< 32 { y[j] = Float(x.load(fromByteOffset: 2 + j, as: Int8.self)) * d }
    }
}
