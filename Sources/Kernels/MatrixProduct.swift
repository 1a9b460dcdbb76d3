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
        // Column panels outermost: a 16-column panel of B (k rows, 4 KB at k = 64) is read from
        // L2 once and then from L1 by every row tile. Row tiles outermost re-read all of B
        // (384 KB for SimHash's 64 × 1500) from L2 with a 6 KB stride per tile, and the loads
        // stalled on it. With the 16-column tile and the packed panel below, the product took
        // ≈38 % fewer CPU samples in a 16K-token MagicPIG replay (perf, 2-vCPU EPYC, native).
        // The panel is copied contiguous: its k rows sit 6 KB apart in B (n = 1500), one page
        // each, and the tiles' loads stalled on L1 TLB misses. A B used again and again (SimHash's W)
        // is better packed once (`packPanels`).
        let panel = UnsafeMutablePointer<Float>.allocateLines(16 * k)
        defer { panel.deallocate() }
        multiply(a, b, into: c, m: m, n: n, k: k) { j in
            copyPanel(b, n: n, k: k, column: j, into: panel)
            return UnsafePointer(panel)
        }
    }

    /// B's whole 16-column panels, each k-major and contiguous ([n / 16][k][16]): what `multiply` copies out of B
    /// for every call, made once for a B that many products share.
    public static func packPanels(_ b: UnsafePointer<Float>, n: Int, k: Int) -> [Float] {
        var packed = [Float](repeating: 0, count: (n / 16) * k * 16)
        packed.withUnsafeMutableBufferPointer { out in
            for t in 0..<(n / 16) { copyPanel(b, n: n, k: k, column: 16 * t, into: out.baseAddress! + t * k * 16) }
        }
        return packed
    }

    /// Columns [j, j + 16) of B's k rows, contiguous at `panel` ([k][16]).
    @inline(__always)
    static func copyPanel(_ b: UnsafePointer<Float>, n: Int, k: Int, column j: Int, into panel: UnsafeMutablePointer<Float>) {
        for p in 0..<k { (panel + p * 16).update(from: b + p * n + j, count: 16) }
    }

    /// `multiply` with B's panels already packed (`packPanels(b, n, k)`, or nil to pack them here): the same
    /// operations in the same order, so the same bits. Rows after the last whole six-row tile also read the
    /// packed panels rather than B's strided rows.
    public static func multiply(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, panels: UnsafePointer<Float>?,
        into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int
    ) {
        guard let panels else { return multiply(a, b, into: c, m: m, n: n, k: k) }
        multiply(a, b, into: c, m: m, n: n, k: k) { j in panels + (j / 16) * k * 16 }
    }

    /// The product with B's panel at column j (a multiple of 16, j + 16 ≤ n) given by `panel(j)`.
    @inline(__always)
    static func multiply(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
        m: Int, n: Int, k: Int, panel: (Int) -> UnsafePointer<Float>
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else { c.update(repeating: 0, count: m * n); return }
        let R = tileRows, tiles = m / R
        // Every full tile of A packed k-major (packed[t·R·k + p·R + r] = A[t·R + r, p]) so the
        // broadcasts of one step are adjacent.
        let packed = UnsafeMutablePointer<Float>.allocateLines(max(tiles, 1) * R * k)
        defer { packed.deallocate() }
        for t in 0..<tiles {
            let pt = packed + t * R * k
            for p in 0..<k { for r in 0..<R { pt[p * R + r] = a[(t * R + r) * k + p] } }
        }
        var j = 0
        while j + 16 <= n {
            let pj = panel(j)
            for t in 0..<tiles { panel16(packed + t * R * k, pj, c + t * R * n + j, n: n, k: k) }
            for i in (tiles * R)..<m { panelRow(a + i * k, pj, c + i * n + j, k: k) }
            j += 16
        }
        for t in 0..<tiles { tile6(packed + t * R * k, b, c + t * R * n, n: n, k: k, from: j) }
        for i in (tiles * R)..<m { row(a + i * k, b, c + i * n, n: n, k: k, from: j) }
    }

    /// One row × 16 columns of C from a packed [k, 16] panel (the same accumulation as `row`'s).
    @inline(__always)
    static func panelRow(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, k: Int) {
        var s = SIMD16<Float>()
        var bp = b
        for p in 0..<k {
            s += UnsafeRawPointer(bp).loadUnaligned(as: SIMD16<Float>.self) * a[p]
            bp += 16
        }
        store16(s, c)
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

    /// Columns [from, n) of one row of C (the rows left after the last full tile, past the whole panels): 8 wide,
    /// then scalar.
    static func row(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                    n: Int, k: Int, from: Int) {
        var j = from
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
