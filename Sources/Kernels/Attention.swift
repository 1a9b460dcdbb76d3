import Foundation

/// Attention of one query — or of the G query heads of a GQA group, which read the same keys
/// and values — over a set of key/value rows. Rows are row-major [n, dim] Float buffers.
///
/// The dense kernels dominate exact, TopK and oracle sampling. One `Vector.dot` per row paid a
/// full horizontal reduction per key; here four rows are scored together (independent
/// accumulators, one combined reduction), and a group's queries share each row while it is in
/// L1, so K and V stream from memory once per group instead of once per query head.
public enum AttentionKernel {
    /// Scores q·k_i·scale for every row i < count, written into `scores`.
    @inlinable
    public static func scores(
        query: UnsafePointer<Float>, keys: UnsafePointer<Float>, count: Int, dim: Int,
        scale: Float, into scores: UnsafeMutablePointer<Float>
    ) {
        self.scores(queries: query, queryCount: 1, keys: keys, count: count, dim: dim, scale: scale, into: scores)
    }

    /// For each query g < queryCount (row-major [queryCount, dim]):
    /// scores[g·count + i] = q_g·k_i·scale for every row i < count. A score does not depend on
    /// queryCount or on the query's position in the batch.
    public static func scores(
        queries: UnsafePointer<Float>, queryCount: Int, keys: UnsafePointer<Float>, count: Int, dim: Int,
        scale: Float, into scores: UnsafeMutablePointer<Float>
    ) {
        let chunks = dim / 16, tail = chunks * 16
        let rk = UnsafeRawPointer(keys), rq = UnsafeRawPointer(queries)
        var i = 0
        while i + 4 <= count {
            let r0 = i * dim * 4, r1 = r0 + dim * 4, r2 = r1 + dim * 4, r3 = r2 + dim * 4
            for g in 0..<queryCount {
                let qo = g * dim * 4
                var a0 = SIMD16<Float>(), a1 = a0, a2 = a0, a3 = a0
                for c in 0..<chunks {
                    let q = rq.loadUnaligned(fromByteOffset: qo + c * 64, as: SIMD16<Float>.self)
                    a0 += q * rk.loadUnaligned(fromByteOffset: r0 + c * 64, as: SIMD16<Float>.self)
                    a1 += q * rk.loadUnaligned(fromByteOffset: r1 + c * 64, as: SIMD16<Float>.self)
                    a2 += q * rk.loadUnaligned(fromByteOffset: r2 + c * 64, as: SIMD16<Float>.self)
                    a3 += q * rk.loadUnaligned(fromByteOffset: r3 + c * 64, as: SIMD16<Float>.self)
                }
                var s = reduce4(a0, a1, a2, a3)
                if tail < dim {
                    let q = queries + g * dim
                    for j in tail..<dim {
                        let k = SIMD4<Float>(keys[i * dim + j], keys[(i + 1) * dim + j],
                                             keys[(i + 2) * dim + j], keys[(i + 3) * dim + j])
                        s += k * q[j]
                    }
                }
                UnsafeMutableRawPointer(scores + g * count + i).storeBytes(of: s * scale, as: SIMD4<Float>.self)
            }
            i += 4
        }
        while i < count {
            for g in 0..<queryCount {
                // The same arithmetic as the four-row path (the other lanes are zero).
                var a0 = SIMD16<Float>()
                let zero = SIMD16<Float>()
                for c in 0..<chunks {
                    a0 += rq.loadUnaligned(fromByteOffset: g * dim * 4 + c * 64, as: SIMD16<Float>.self)
                        * rk.loadUnaligned(fromByteOffset: i * dim * 4 + c * 64, as: SIMD16<Float>.self)
                }
                var s = reduce4(a0, zero, zero, zero)[0]
                for j in tail..<dim { s += queries[g * dim + j] * keys[i * dim + j] }
                scores[g * count + i] = s * scale
            }
            i += 1
        }
    }

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
        weightedSum(weights: weights, queryCount: 1, count: count, values: values, dim: dim, into: output)
    }

    /// For each query g < queryCount: output[g·dim ..< (g+1)·dim] = Σ_i weights[g·count + i]·values[i].
    /// Every output element is summed over i in increasing order (as repeated axpy would), so the
    /// result does not depend on queryCount. Rows are taken in L1-sized blocks and the outputs of
    /// two queries at a time are kept in registers across a block.
    public static func weightedSum(
        weights: UnsafePointer<Float>, queryCount: Int, count: Int, values: UnsafePointer<Float>, dim: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        output.update(repeating: 0, count: queryCount * dim)
        let block = 64
        let rv = UnsafeRawPointer(values), ro = UnsafeMutableRawPointer(output)
        let chunks = dim / 16, tail = chunks * 16
        var start = 0
        while start < count {
            let end = min(count, start + block)
            var g = 0
            while g < queryCount {
                let pair = g + 1 < queryCount
                let w0 = weights + g * count, w1 = weights + (pair ? g + 1 : g) * count
                for c in 0..<chunks {
                    let o0 = (g * dim + c * 16) * 4, o1 = o0 + dim * 4
                    var s0 = ro.loadUnaligned(fromByteOffset: o0, as: SIMD16<Float>.self)
                    if pair {
                        var s1 = ro.loadUnaligned(fromByteOffset: o1, as: SIMD16<Float>.self)
                        for i in start..<end {
                            let v = rv.loadUnaligned(fromByteOffset: (i * dim + c * 16) * 4, as: SIMD16<Float>.self)
                            s0 += v * w0[i]
                            s1 += v * w1[i]
                        }
                        ro.storeBytes(of: s1, toByteOffset: o1, as: SIMD16<Float>.self)
                    } else {
                        for i in start..<end {
                            s0 += rv.loadUnaligned(fromByteOffset: (i * dim + c * 16) * 4, as: SIMD16<Float>.self) * w0[i]
                        }
                    }
                    ro.storeBytes(of: s0, toByteOffset: o0, as: SIMD16<Float>.self)
                }
                for j in tail..<dim {
                    for q in g..<(pair ? g + 2 : g + 1) {
                        var s = output[q * dim + j]
                        for i in start..<end { s += weights[q * count + i] * values[i * dim + j] }
                        output[q * dim + j] = s
                    }
                }
                g += pair ? 2 : 1
            }
            start = end
        }
    }
}
