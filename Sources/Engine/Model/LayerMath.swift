import Foundation
import Kernels

/// The element-wise pieces of a llama/qwen2 block, written to follow ggml's CPU kernels so that results track
/// llama.cpp's to float rounding.
public enum LayerMath {
    /// y = x / sqrt(mean(x²) + ε) ⊙ weight (ggml_rms_norm sums the squares in double).
    public static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, epsilon: Float,
                               count: Int, into y: UnsafeMutablePointer<Float>) {
        var sum: Double = 0
        for i in 0..<count { sum += Double(x[i]) * Double(x[i]) }
        let scale = 1 / (Float(sum / Double(count)) + epsilon).squareRoot()
        for i in 0..<count { y[i] = x[i] * scale * weight[i] }
    }

    /// Rotates every head of `x` ([heads, headDim] at one position) in place.
    ///
    /// Pair i turns by position·θ^(−2i/dims). The angle is formed as ggml's rope_cache_init does — θ_0 = p,
    /// then repeated multiplication by the Float θ^(−2/dims) — so long positions drift exactly as llama.cpp's.
    public static func rope(_ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, dimensions: Int,
                            position: Int, theta: Float, style: RoPEStyle) {
        let pairs = dimensions / 2
        var cosines = [Float](repeating: 0, count: pairs), sines = cosines
        let step = powf(theta, -2 / Float(dimensions))
        var angle = Float(position)
        for i in 0..<pairs {
            cosines[i] = cosf(angle)
            sines[i] = sinf(angle)
            angle *= step
        }
        for h in 0..<heads {
            let v = x + h * headDim
            for i in 0..<pairs {
                let (a, b) = style == .adjacentPairs ? (2 * i, 2 * i + 1) : (i, i + pairs)
                let x0 = v[a], x1 = v[b]
                v[a] = x0 * cosines[i] - x1 * sines[i]
                v[b] = x0 * sines[i] + x1 * cosines[i]
            }
        }
    }

    /// gate ← silu(gate) ⊙ up, silu(g) = g / (1 + e^(−g)), sixteen elements at a time with `Exp.exp`.
    ///
    /// Why not libm's expf: called per element it was ≈ 4 % of a 4096-token Qwen prefill (swiGLU plus expf in
    /// perf); the SIMD polynomial (relative error ≈ 1e−7) runs the whole row in registers. The tail goes
    /// through the same polynomial, so an element's result does not depend on its position.
    public static func swiGLU(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        let rg = UnsafeMutableRawPointer(gate), ru = UnsafeRawPointer(up)
        var i = 0
        while i + 16 <= count {
            let g = rg.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            let u = ru.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            rg.storeBytes(of: g / (1 + Exp.exp(-g)) * u, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        if i < count {
            var g = SIMD16<Float>(), u = g
            for j in 0..<(count - i) { g[j] = gate[i + j]; u[j] = up[i + j] }
            let y = g / (1 + Exp.exp(-g)) * u
            for j in 0..<(count - i) { gate[i + j] = y[j] }
        }
    }

    /// Index of the largest element (the first one on a tie).
    public static func argmax(_ x: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for i in x.indices where x[i] > x[best] { best = i }
        return best
    }
}
