/// Dense single-precision matrix product in pure Swift SIMD, for the one large product the
/// harness does itself: MagicPIG's SimHash projections X·W of every hashed key (m = tokens,
/// k = head_dim, n = K·L = 1500).
///
/// Why a kernel: K·L separate `Vector.dot` calls (one horizontal sum each) ran at ≈4 GFLOP/s;
/// this register-blocked form — 6 rows of A, each element broadcast against an 8-wide row
/// slice of B, twelve independent accumulator registers on SSE — measured ≈28 GFLOP/s on one
/// core of the 2-vCPU EPYC with the default x86-64 (SSE2) code generation, against 26 for 6
/// rows unpacked, 18 for 4×16 and 14 for 3×16 tiles. Single-threaded on purpose: callers
/// parallelise over heads.
public enum MatrixProduct {
    /// Rows of A per register tile.
    @usableFromInline static let tileRows = 6

    /// C[m×n] = A[m×k]·B[k×n]; all row-major and dense (leading dimensions k, n, n). Each
    /// C[i, j] is accumulated over p = 0..<k in order with separate multiply and add, the same
    /// for every tile position, so a row's result does not depend on m or on where it sits.
    public static func multiply(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else { c.update(repeating: 0, count: m * n); return }
        let R = tileRows, tiles = m / R
        // Every full tile of A packed k-major (packed[t·R·k + p·R + r] = A[t·R + r, p]) so the
        // broadcasts of one step are adjacent.
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: max(tiles, 1) * R * k)
        defer { packed.deallocate() }
        for t in 0..<tiles {
            let pt = packed + t * R * k
            for p in 0..<k { for r in 0..<R { pt[p * R + r] = a[(t * R + r) * k + p] } }
        }
        // Column panels outermost: a 16-column panel of B (k rows, 4 KB at k = 64) is read from
        // L2 once and then from L1 by every row tile. Row tiles outermost re-read all of B
        // (384 KB for SimHash's 64 × 1500) from L2 with a 6 KB stride per tile, and the loads
        // stalled on it. With the 16-column tile and the packed panel below, the product took
        // ≈38 % fewer CPU samples in a 16K-token MagicPIG replay (perf, 2-vCPU EPYC, native).
        let panel = UnsafeMutablePointer<Float>.allocate(capacity: 16 * k)
        defer { panel.deallocate() }
        var j = 0
        while j + 16 <= n {
            // The panel copied contiguous: its k rows sit 6 KB apart in B (n = 1500), one page
            // each, and the tiles' loads stalled on L1 TLB misses.
            for p in 0..<k { (panel + p * 16).update(from: b + p * n + j, count: 16) }
            for t in 0..<tiles { panel16(packed + t * R * k, panel, c + t * R * n + j, n: n, k: k) }
            j += 16
        }
        for t in 0..<tiles { tile6(packed + t * R * k, b, c + t * R * n, n: n, k: k, from: j) }
        for i in (tiles * R)..<m { row(a + i * k, b, c + i * n, n: n, k: k) }
    }

    /// Six rows × 16 columns of C from a packed A tile and a packed [k, 16] B panel: twelve
    /// 8-wide accumulators (two per SIMD16) fill AVX2's
    /// sixteen registers with the B row and the broadcast, and each broadcast of A feeds 16
    /// columns instead of 8.
    @inline(__always)
    static func panel16(_ pa: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                        n: Int, k: Int) {
        var c0 = SIMD16<Float>(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0
        var ap = pa, bp = b
        for _ in 0..<k {
            let bv = UnsafeRawPointer(bp).loadUnaligned(as: SIMD16<Float>.self)
            c0 += bv * ap[0]; c1 += bv * ap[1]; c2 += bv * ap[2]
            c3 += bv * ap[3]; c4 += bv * ap[4]; c5 += bv * ap[5]
            ap += 6; bp += 16
        }
        store16(c0, c); store16(c1, c + n); store16(c2, c + 2 * n)
        store16(c3, c + 3 * n); store16(c4, c + 4 * n); store16(c5, c + 5 * n)
    }

    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }

    /// Columns [from, n) of six rows of C from a packed A tile: 8 wide, then scalar.
    static func tile6(_ pa: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                      n: Int, k: Int, from: Int) {
        var j = from
        while j + 8 <= n {
            var c0 = SIMD8<Float>(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0
            var ap = pa, bp = b + j
            for _ in 0..<k {
                let bv = load8(bp)
                c0 += bv * ap[0]; c1 += bv * ap[1]; c2 += bv * ap[2]
                c3 += bv * ap[3]; c4 += bv * ap[4]; c5 += bv * ap[5]
                ap += 6; bp += n
            }
            store8(c0, c + j); store8(c1, c + n + j); store8(c2, c + 2 * n + j)
            store8(c3, c + 3 * n + j); store8(c4, c + 4 * n + j); store8(c5, c + 5 * n + j)
            j += 8
        }
        // Columns past the last full 8: scalar, same accumulation order.
        while j < n {
            for r in 0..<6 {
                var s: Float = 0
                for p in 0..<k { s += b[p * n + j] * pa[p * 6 + r] }
                c[r * n + j] = s
            }
            j += 1
        }
    }

    /// One row of C (the rows left after the last full tile, and single queries).
    static func row(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                    n: Int, k: Int) {
        var j = 0
        while j + 16 <= n {
            var s0 = SIMD8<Float>(), s1 = s0
            var bp = b + j
            for p in 0..<k {
                s0 += load8(bp) * a[p]; s1 += load8(bp + 8) * a[p]
                bp += n
            }
            store8(s0, c + j); store8(s1, c + j + 8)
            j += 16
        }
        while j + 8 <= n {
            var s = SIMD8<Float>()
            for p in 0..<k { s += load8(b + p * n + j) * a[p] }
            store8(s, c + j)
            j += 8
        }
        while j < n {
            var s: Float = 0
            for p in 0..<k { s += b[p * n + j] * a[p] }
            c[j] = s
            j += 1
        }
    }
}
