#if MAGICPIG_AVX512_VNNI
import Kernels

/// The block sums of `QuantizedDot+Int8.swift` on a CPU with AVX512-VNNI: one `vpdpbusd` multiplies 32 unsigned
/// by 32 signed bytes without intermediate saturation, so the stored weight goes in unsigned as it is (a nibble,
/// a 5- or 6-bit value, or a Q8_0 byte + 128) against the activation's signed quants, and the weight's offset
/// comes off once per block as offset·Σq (`QuantizedActivation.halfSums`). The |q| × sign(q)·w form the other
/// builds use needs two sign operations per 32 bytes and a second load; here a block is its unpacking, one
/// product and the reduction, as in llama.cpp's VNNI kernels. The sums are the same integers, so every kernel
/// returns the same bits in either build (the block tests in QuantizedDotInt8Tests run on whichever path the
/// build compiles: `swift test -c release` on such a CPU checks these).
///
/// 32 bytes are held as SIMD8<UInt32> and 16 as SIMD4<UInt32>: on SIMD32<UInt8> and SIMD16<UInt8>, bitwise
/// operations, shifts and `init(lowHalf:highHalf:)` compiled to loops inserting one byte at a time (the first
/// version of this file ran Qwen's decode ≈ 20× slower). A shift in 32-bit lanes followed by a mask below
/// 2^(8 − n) moves no bit across bytes.
extension QuantizedDot {
    typealias Bytes32 = SIMD8<UInt32>
    typealias Bytes16 = SIMD4<UInt32>

    /// Every byte of a lane set to `b`.
    @inline(__always)
    static func splat(_ b: UInt32) -> Bytes32 { Bytes32(repeating: b &* 0x0101_0101) }

    @inline(__always)
    static func splat16(_ b: UInt32) -> Bytes16 { Bytes16(repeating: b &* 0x0101_0101) }

    /// `lo` then `hi` as one register.
    @inline(__always)
    static func joined(_ lo: Bytes16, _ hi: Bytes16) -> Bytes32 { unsafeBitCast((lo, hi), to: Bytes32.self) }

    /// The activation's 32 quants from element `first`.
    @inline(__always)
    static func quantBlock(_ a: QuantizedActivation, _ first: Int) -> Bytes32 {
        UnsafeRawPointer(a.quants + first).loadUnaligned(as: Bytes32.self)
    }

    /// Σq over the 32-element block from element `first`.
    @inline(__always)
    static func blockSum(_ a: QuantizedActivation, _ first: Int) -> Int32 {
        a.halfSums[first >> 4] &+ a.halfSums[(first >> 4) + 1]
    }

    /// Σ (w ⊕ 0x80)·q − 128·Σq = Σ w·q for the 32 signed bytes of a Q8_0 block.
    @inline(__always)
    static func q8_0BlockVNNI(_ block: UnsafeRawPointer, _ a: QuantizedActivation, _ first: Int) -> Int32 {
        let w = (block + 2).loadUnaligned(as: Bytes32.self) ^ splat(0x80)
        return ByteProducts.quadSums(SIMD8(), w, quantBlock(a, first)).wrappedSum() &- 128 &* blockSum(a, first)
    }

    /// Σ n_j·q_j for 16 bytes of nibbles, low nibbles the elements 0..<16 and high nibbles 16..<32 (Q4_0, Q4_1).
    @inline(__always)
    static func nibbleBlockVNNI(_ q: UnsafeRawPointer, _ a: QuantizedActivation, _ first: Int) -> Int32 {
        let v = q.loadUnaligned(as: Bytes16.self)
        let n = joined(v & splat16(0x0F), (v &>> 4) & splat16(0x0F))
        return ByteProducts.quadSums(SIMD8(), n, quantBlock(a, first)).wrappedSum()
    }

    /// Block k of a planar Q5_0 group: Σ v·q − 16·Σq with v the stored 5-bit value (`q5_0PlanarBlock`).
    @inline(__always)
    static func q5_0PlanarBlockVNNI(_ planes: UnsafePointer<UInt8>, _ high: UnsafePointer<UInt8>, _ k: Int,
                                    _ a: QuantizedActivation, _ first: Int) -> Int32 {
        let plane = UnsafeRawPointer(planes + 32 * (k >> 1)).loadUnaligned(as: Bytes32.self)
        let h = UnsafeRawPointer(high).loadUnaligned(as: Bytes16.self)
        let shift = UInt32(4 * (k & 1)), bit = UInt32(k)
        // Byte j < 16 takes bit k of high[j], byte j ≥ 16 bit k + 4 of high[j − 16].
        let fifth = joined((h &>> bit) & splat16(1), (h &>> (bit + 4)) & splat16(1))
        let v = ((plane &>> shift) & splat(0x0F)) | (fifth &<< 4)
        return ByteProducts.quadSums(SIMD8(), v, quantBlock(a, first)).wrappedSum() &- 16 &* blockSum(a, first)
    }

    /// `q4_KGroup`: the low nibbles of 32 bytes against activation block `block`, the high ones against `block` + 1.
    @inline(__always)
    static func q4_KGroupVNNI(_ q: UnsafePointer<UInt8>, _ a: QuantizedActivation, _ block: Int) -> (Int32, Int32) {
        let v = UnsafeRawPointer(q).loadUnaligned(as: Bytes32.self)
        let lo = ByteProducts.quadSums(SIMD8(), v & splat(0x0F), quantBlock(a, 32 * block))
        let hi = ByteProducts.quadSums(SIMD8(), (v &>> 4) & splat(0x0F), quantBlock(a, 32 * block + 32))
        return (lo.wrappedSum(), hi.wrappedSum())
    }

    /// `q6_KQuarter`: Σ (v − 32)·q over l < 16 and l ≥ 16 as Σ v·q − 32·Σq per half, v the stored 6-bit value.
    @inline(__always)
    static func q6_KQuarterVNNI(_ ql: UnsafePointer<UInt8>, _ qh: UnsafePointer<UInt8>, _ k: Int,
                                _ a: QuantizedActivation, _ block: Int) -> (Int32, Int32) {
        let low = UnsafeRawPointer(ql + 32 * (k & 1)).loadUnaligned(as: Bytes32.self)
        let top = UnsafeRawPointer(qh).loadUnaligned(as: Bytes32.self)
        let lowShift = UInt32(4 * (k >> 1)), highShift = UInt32(2 * k)
        let v = ((low &>> lowShift) & splat(0x0F)) | (((top &>> highShift) & splat(3)) &<< 4)
        let sums = ByteProducts.quadSums(SIMD8(), v, quantBlock(a, 32 * block))
        return (sums.lowHalf.wrappedSum() &- 32 &* a.halfSums[2 * block],
                sums.highHalf.wrappedSum() &- 32 &* a.halfSums[2 * block + 1])
    }
}
#endif
