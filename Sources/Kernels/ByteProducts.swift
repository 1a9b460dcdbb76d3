#if MAGICPIG_AVX512_VNNI
import Builtin
#endif

/// Products of unsigned by signed bytes summed in Int32 lanes: the inner step of the decode kernels' integer dot
/// products (Engine's `QuantizedDot`), where llama.cpp uses one `vpdpbusd` per 32 bytes on CPUs with VNNI.
///
/// Why here and through the `Builtin` module: LLVM selects `vpdpbusd` from a plain widening reduction only in a
/// standalone function; inside the kernels, whose signed operand is assembled from nibbles, the same Swift lowered
/// to 64-bit multiplies (docs/engine.md, eighth session). The intrinsic cannot be compiled for a CPU without the
/// instruction, so this exists only in a native release build on a machine that has AVX512-VNNI with VL
/// (`MAGICPIG_AVX512_VNNI`, set by Package.swift from the build machine's /proc/cpuinfo); callers keep their
/// portable spelling for every other build. The sums are exact integers, so either path gives the same results.
public enum ByteProducts {
    #if MAGICPIG_AVX512_VNNI
    /// acc + (Σ_{k<4} a[4i+k]·b[4i+k]) in lane i, for 32 unsigned bytes `a` and 32 signed bytes `b`; no
    /// intermediate saturates (unlike pmaddubsw's Int16 pair sums).
    @inlinable @inline(__always)
    public static func quadSums(_ acc: SIMD8<Int32>, _ a: UnsafeRawPointer, _ b: UnsafeRawPointer) -> SIMD8<Int32> {
        quadSums(acc, a.loadUnaligned(as: SIMD8<UInt32>.self), b.loadUnaligned(as: SIMD8<UInt32>.self))
    }

    /// `quadSums` of two registers, each 32 bytes held as eight UInt32 lanes (`a` unsigned, `b` signed bytes).
    /// Byte-wise work on the operands is best done in such lanes: bitwise operations on SIMD32<UInt8> compiled
    /// to loops inserting one byte at a time.
    @inlinable @inline(__always)
    public static func quadSums(_ acc: SIMD8<Int32>, _ a: SIMD8<UInt32>, _ b: SIMD8<UInt32>) -> SIMD8<Int32> {
        let r = Builtin.int_x86_avx512_vpdpbusd_256(acc._storage._value, a._storage._value, b._storage._value)
        return unsafeBitCast(r, to: SIMD8<Int32>.self)
    }
    #endif
}
