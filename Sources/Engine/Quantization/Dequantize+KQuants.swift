// K-quants: 256-element super-blocks of 16 or 32-element sub-blocks, each with its own 6- or 8-bit scale.

extension Dequantize {
    /// The 6-bit scale and min of sub-block `j` (0..<8) of a Q4_K/Q5_K super-block, packed in 12 bytes
    /// (ggml's get_scale_min_k4): sub-blocks 0–3 keep the low 6 bits of bytes j and j+4; sub-blocks 4–7 take
    /// their low 4 bits from byte j+4's nibbles and their top 2 bits from the spare bits of bytes j−4 and j.
    @inlinable @inline(__always)
    static func scaleMin(_ scales: UnsafeRawPointer, _ j: Int) -> (scale: UInt8, min: UInt8) {
        if j < 4 {
            return (byte(scales, j) & 63, byte(scales, j + 4) & 63)
        }
        let packed = byte(scales, j + 4)
        return ((packed & 0x0F) | ((byte(scales, j - 4) >> 6) << 4), (packed >> 4) | ((byte(scales, j) >> 6) << 4))
    }

    /// Q4_K (144 bytes): f16 d, f16 dmin, 12 bytes of scales/mins, 128 bytes of nibbles. Each 32-byte group g
    /// holds sub-block 2g in its low nibbles and 2g+1 in its high nibbles; value = (d·scale)·q − dmin·min.
    @inlinable @inline(__always)
    static func q4_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0), dmin = half(x, 2)
        let scales = x + 4, qs = x + 16
        for group in 0 ..< 4 {
            let (s0, m0) = scaleMin(scales, 2 * group)
            let (s1, m1) = scaleMin(scales, 2 * group + 1)
            let d0 = d * Float(s0), o0 = dmin * Float(m0)
            let d1 = d * Float(s1), o1 = dmin * Float(m1)
            let out = y + 64 * group
            for l in 0 ..< 32 {
                let q = byte(qs, 32 * group + l)
                out[l] = d0 * Float(q & 0x0F) - o0
                out[l + 32] = d1 * Float(q >> 4) - o1
            }
        }
    }

    /// Q5_K (176 bytes): as Q4_K with 32 bytes of fifth bits after the scales: bit i of byte l is the fifth
    /// bit of element l of sub-block i.
    @inlinable @inline(__always)
    static func q5_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let d = half(x, 0), dmin = half(x, 2)
        let scales = x + 4, qh = x + 16, qs = x + 48
        for group in 0 ..< 4 {
            let (s0, m0) = scaleMin(scales, 2 * group)
            let (s1, m1) = scaleMin(scales, 2 * group + 1)
            let d0 = d * Float(s0), o0 = dmin * Float(m0)
            let d1 = d * Float(s1), o1 = dmin * Float(m1)
            let out = y + 64 * group
            let bit0 = UInt8(2 * group), bit1 = UInt8(2 * group + 1)
            for l in 0 ..< 32 {
                let q = byte(qs, 32 * group + l), h = byte(qh, l)
                out[l] = d0 * Float((q & 0x0F) | ((h >> bit0) & 1) << 4) - o0
                out[l + 32] = d1 * Float((q >> 4) | ((h >> bit1) & 1) << 4) - o1
            }
        }
    }

    /// Q6_K (210 bytes): 128 bytes of low nibbles, 64 bytes of 2-bit high parts, 16 signed 8-bit scales (one
    /// per 16 elements), f16 d; value = (d·scale)·(q − 32). Within each 128-element half h, element p takes its
    /// low 4 bits from byte h·64 + p mod 64 (low nibble for p < 64, high for p ≥ 64) and its high 2 bits from
    /// byte h·32 + p mod 32, shifted by 2·(p / 32).
    @inlinable @inline(__always)
    static func q6_K(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<Float>) {
        let ql = x, qh = x + 128, scales = x + 192
        let d = half(x, 208)
        for h in 0 ..< 2 {
            let out = y + 128 * h
            var scale = SIMD8<Float>()
            for s in 0 ..< 8 { scale[s] = d * Float(scales.load(fromByteOffset: 8 * h + s, as: Int8.self)) }
            for l in 0 ..< 32 {
                let a = byte(ql, 64 * h + l), b = byte(ql, 64 * h + l + 32), high = byte(qh, 32 * h + l)
                let q0 = Int32((a & 0x0F) | (high & 3) << 4) - 32
                let q1 = Int32((b & 0x0F) | ((high >> 2) & 3) << 4) - 32
                let q2 = Int32((a >> 4) | ((high >> 4) & 3) << 4) - 32
                let q3 = Int32((b >> 4) | ((high >> 6) & 3) << 4) - 32
                let s = l / 16
                out[l] = scale[s] * Float(q0)
                out[l + 32] = scale[s + 2] * Float(q1)
                out[l + 64] = scale[s + 4] * Float(q2)
                out[l + 96] = scale[s + 6] * Float(q3)
            }
        }
    }
}
