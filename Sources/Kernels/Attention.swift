/// Shared pieces of the attention kernels (DecodeAttention, GatherAttention).
public enum AttentionKernel {
    /// (Σ a, Σ b, Σ c, Σ d) by halving: 16 → 8 → 4 lanes each, then a 4×4 transpose-add, so the
    /// four horizontal sums share their shuffles.
    @inlinable @inline(__always)
    static func reduce4(_ a: SIMD16<Float>, _ b: SIMD16<Float>, _ c: SIMD16<Float>, _ d: SIMD16<Float>) -> SIMD4<Float> {
        let a8 = a.lowHalf + a.highHalf, b8 = b.lowHalf + b.highHalf
        let c8 = c.lowHalf + c.highHalf, d8 = d.lowHalf + d.highHalf
        let a4 = a8.lowHalf + a8.highHalf, b4 = b8.lowHalf + b8.highHalf
        let c4 = c8.lowHalf + c8.highHalf, d4 = d8.lowHalf + d8.highHalf
        // ab = (a0+a1, a2+a3, b0+b1, b2+b3) etc.
        let ab = SIMD4(a4[0], a4[2], b4[0], b4[2]) + SIMD4(a4[1], a4[3], b4[1], b4[3])
        let cd = SIMD4(c4[0], c4[2], d4[0], d4[2]) + SIMD4(c4[1], c4[3], d4[1], d4[3])
        return SIMD4(ab[0], ab[2], cd[0], cd[2]) + SIMD4(ab[1], ab[3], cd[1], cd[3])
    }
}
