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

    /// gate ← silu(gate) ⊙ up, silu(g) = g / (1 + e^(−g)).
    public static func swiGLU(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
        }
    }

    /// Index of the largest element (the first one on a tie).
    public static func argmax(_ x: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        for i in x.indices where x[i] > x[best] { best = i }
        return best
    }
}
