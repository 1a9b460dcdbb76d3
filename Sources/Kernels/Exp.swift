/// Vectorised e^x for softmax.
///
/// Why: softmax called scalar `expf` once per key (≈16K calls per query at 16K tokens); this
/// evaluates 16 lanes at once with a polynomial (Cephes `expf`: Cody–Waite range reduction
/// x = n·ln2 + r, |r| ≤ ln2/2, degree-6 polynomial), within 1.2e-7 relative of `expf` for
/// results in the normal range; smaller results underflow through subnormals to 0 as `expf`
/// does (so -inf → 0), and x ≳ 88.72 gives +inf. NaN inputs are not supported.
///
/// Only the SIMD operators that lower to vector instructions are used: the standard library's
/// generic `pointwiseMin`/`pointwiseMax`/`replacing` compiled to per-lane loops through the stack
/// here (≈19 ns per element, slower than scalar `expf`), so clamps are done on bit patterns.
public enum Exp {
    /// Inputs are clamped to [lowerClamp, upperClamp]: e^-104 rounds to 0 and e^89 to +inf.
    @usableFromInline static let lowerClamp: Float = -104
    @usableFromInline static let upperClamp: Float = 89

    /// Always inlined: called out of line, its 16 lanes were passed and computed as four 128-bit
    /// pieces, one dependent chain at a time (≈ 7 cycles per element, 8 % of a 4096-token Qwen
    /// prefill); inlined into the loops it runs on 256-bit registers with the pieces interleaved.
    @inlinable @inline(__always)
    public static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let xc = SIMDBits.min(SIMDBits.max(x, SIMD16(repeating: lowerClamp)), SIMD16(repeating: upperClamp))
        // n = round(x·log2 e) by the 1.5·2^23 trick (no SSE4.1 `roundps` needed): the low bits
        // of t hold n as an integer.
        let magic = SIMD16<Float>(repeating: 12_582_912)
        let t = xc * 1.442_695_04 + magic
        let n = t - magic
        let r = xc - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p = SIMD16<Float>(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        p = p * (r * r) + r + 1
        // 2^n as two factors 2^(n/2)·2^(n − n/2), both normal for n in [-150, 128], so results
        // down to subnormals and up to overflow come out right.
        let ni = unsafeBitCast(t, to: SIMD16<Int32>.self) &- 0x4B40_0000
        let n1 = ni &>> 1, n2 = ni &- n1
        let s1 = unsafeBitCast((n1 &+ 127) &<< 23, to: SIMD16<Float>.self)
        let s2 = unsafeBitCast((n2 &+ 127) &<< 23, to: SIMD16<Float>.self)
        return p * s1 * s2
    }

    /// out[i] = e^{x[i]} for i < count (in place allowed); returns Σ out[i] (SIMD-order sum).
    @inlinable
    @discardableResult
    public static func exp(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) -> Float {
        var sum = SIMD16<Float>()
        var i = 0
        let rx = UnsafeRawPointer(x), ro = UnsafeMutableRawPointer(out)
        while i + 16 <= count {
            let e = exp(rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
            ro.storeBytes(of: e, toByteOffset: i * 4, as: SIMD16<Float>.self)
            sum += e
            i += 16
        }
        if i < count {
            // The tail goes through the same polynomial (-inf padding contributes 0), so a value's
            // exponential does not depend on its position.
            var v = SIMD16<Float>(repeating: -.infinity)
            for j in 0..<(count - i) { v[j] = x[i + j] }
            let e = exp(v)
            for j in 0..<(count - i) { out[i + j] = e[j] }
            sum += e
        }
        return sum.sum()
    }
}

/// Lane-wise min/max of SIMD16<Float> through the sign of the difference, using only operators
/// that lower to vector instructions (see `Exp`). For non-NaN inputs; ±inf work.
public enum SIMDBits {
    @inlinable @inline(__always)
    public static func max(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
        // m = all ones where a − b < 0 (a < b), else 0.
        let m = unsafeBitCast(a - b, to: SIMD16<Int32>.self) &>> 31
        let ai = unsafeBitCast(a, to: SIMD16<Int32>.self), bi = unsafeBitCast(b, to: SIMD16<Int32>.self)
        return unsafeBitCast((ai & ~m) | (bi & m), to: SIMD16<Float>.self)
    }

    @inlinable @inline(__always)
    public static func min(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
        let m = unsafeBitCast(a - b, to: SIMD16<Int32>.self) &>> 31
        let ai = unsafeBitCast(a, to: SIMD16<Int32>.self), bi = unsafeBitCast(b, to: SIMD16<Int32>.self)
        return unsafeBitCast((ai & m) | (bi & ~m), to: SIMD16<Float>.self)
    }
}
