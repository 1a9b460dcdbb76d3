import Foundation

/// Attention of one query over a set of key/value rows, the building block every approximator
/// shares. Rows are row-major [n, dim] Float buffers.
public enum AttentionKernel {
    /// Scores q·k_i·scale for every row i < count, written into `scores`.
    @inlinable
    public static func scores(
        query: UnsafePointer<Float>, keys: UnsafePointer<Float>, count: Int, dim: Int,
        scale: Float, into scores: UnsafeMutablePointer<Float>
    ) {
        for i in 0..<count {
            scores[i] = Vector.dot(query, keys + i * dim, count: dim) * scale
        }
    }

    /// output = Σ_i weights[i] · values[rows[i]] (rows given as indices into `values`).
    @inlinable
    public static func gatherWeightedSum(
        weights: UnsafePointer<Float>, rows: UnsafePointer<Int32>, count: Int,
        values: UnsafePointer<Float>, dim: Int, into output: UnsafeMutablePointer<Float>
    ) {
        output.update(repeating: 0, count: dim)
        for i in 0..<count {
            Vector.axpy(weights[i], values + Int(rows[i]) * dim, output, count: dim)
        }
    }

    /// output = Σ_i weights[i] · values[i] for contiguous rows.
    @inlinable
    public static func weightedSum(
        weights: UnsafePointer<Float>, count: Int, values: UnsafePointer<Float>, dim: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        output.update(repeating: 0, count: dim)
        for i in 0..<count {
            Vector.axpy(weights[i], values + i * dim, output, count: dim)
        }
    }
}
