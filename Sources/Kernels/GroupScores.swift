/// The two inner loops of decode attention — scores q_j·k_i and the weighted sum Σ_i w_ji·v_i —
/// for a GQA group's queries over rows of one KV head, generic over the storage type and over
/// how rows are addressed (a contiguous range for dense attention and TopK's scan, a row list
/// for the sparse methods' gather); specialised within the module.
///
/// Tiles (measured on the 2-vCPU EPYC, AVX2 + FMA): 8-lane accumulators with fused multiply-add
/// (`addingProduct` lowers to `vfmadd231ps`; `a += q * k` does not fuse), eight independent
/// accumulators per tile so the FMA latency is covered — four queries × two rows, or one query ×
/// eight rows — and one shared reduction for the tile's eight dot products (`reduce8`). The V
/// sum keeps the tile's weights in registers and walks V rows in address order (row-outer).
///
/// Every (query, row) dot product is accumulated the same way in every tile (one accumulator,
/// dims in order, the same reduction tree), and every query's V sum is one fused chain over the
/// rows in order, so query j's numbers do not depend on how many queries share the call: a
/// group's attend equals its queries' single attends bit for bit.
enum GroupScores {
    /// Rows ahead of the current one that listed-row loops prefetch: a scattered 512-byte row
    /// takes about a DRAM latency to arrive, a few tiles of work.
    static let prefetchRows = 12

    /// Bytes ahead that contiguous scans (dense attention's K and V passes, TopK's scores) request rows, into L2.
    /// The hardware prefetchers alone left the four-query tile loop at ≈ 47 % of a plain streaming sum (AVX2 host,
    /// one thread: 8.2 against 18 GB/s); rows requested 2 KB ahead into L1 brought it to 14.6. On the AVX-512 host
    /// requests into L1 left dense attention at ≈ 0.35 of streaming: an L1 request holds one of the core's few L1
    /// miss buffers until its line arrives, so only a few KB were ever in flight. Requested into L2, 16 KB ahead, the
    /// same loop reads 16–19 GB/s against ≈ 25 (a C replica of the fused loop: 9.4 → 23; docs/cpu-kernels.md).
    static let aheadBytes = 16384

    /// Whether `scoresFour` and `accumulateFour` take their wide tiles: in a native build for a CPU with 32 vector
    /// registers of 512 bits (AVX-512; Package.swift defines MAGICPIG_WIDE_REGISTERS), where sixteen 8-lane dot
    /// accumulators or four queries × 64 dims of V sums stay in registers; with AVX2's sixteen they would spill.
    /// Both tiles give the same bits as the narrow ones (tests call each explicitly). Float32 and Float16 rows alike:
    /// until the eleventh session Float16 rows kept the narrow tiles, because their 16-lane widening was an
    /// out-of-line call that made the wide tiles slower; with `Float16.widen` the wide tiles are faster for them too
    /// (MagicPIG at 64K tokens, 1 thread: 5.0 → 4.2 ms; TopK's scan 15.6 → 14.3 ms).
    @inline(__always)
    static var wideTiles: Bool {
        #if MAGICPIG_WIDE_REGISTERS
        true
        #else
        false
        #endif
    }

    /// Rows per chunk of the wide V sum: the chunk's rows stay in L2 (128 KB) while the sum makes one pass per 64
    /// dims over them.
    @inline(__always)
    static func wideChunkRows(_ rowBytes: Int) -> Int { Swift.max(32, (128 << 10) / Swift.max(rowBytes, 1)) }

    /// Whether a group's last queries are better scored as one four-query tile padded with zero queries
    /// than one query at a time: for three left over (Qwen2.5-0.5B's 7 = 4 + 3, SmolLM2's 3), one tile
    /// pass loads 3 vectors per row where three one-query passes load 3.4 and re-read the rows; measured
    /// ≈ 10 % less time for dense attention at G = 7 (docs/cpu-kernels.md). Two left over stay single.
    @inline(__always)
    static func padsLastQueries(_ g: Int) -> Bool { g % 4 == 3 }

    /// scores[j·stride + i] = q_j·k_{rows(i)} for i < count, j < queryCount.
    @inline(__always)
    static func compute<E: KVElement, R: RowIndex>(
        _: E.Type, keys: UnsafeRawPointer, rows: R, count: Int, dim d: Int,
        queries: UnsafePointer<Float>, queryCount g: Int, stride: Int, into scores: UnsafeMutablePointer<Float>
    ) {
        var j = 0
        while j + 4 <= g {
            scoresFour(E.self, keys, rows, count, d, queries + j * d, stride, scores + j * stride)
            j += 4
        }
        if padsLastQueries(g) {
            // The last three queries and a zero query through the four-query tile, into scratch rows.
            // Each query's scores come out exactly as from `scoresOne` (same accumulation order).
            let r = g - j
            let q = UnsafeMutablePointer<Float>.allocateLines(4 * d)
            let s = UnsafeMutablePointer<Float>.allocateLines(4 * max(count, 1))
            defer { q.deallocate(); s.deallocate() }
            q.update(from: queries + j * d, count: r * d)
            (q + r * d).update(repeating: 0, count: (4 - r) * d)
            scoresFour(E.self, keys, rows, count, d, UnsafePointer(q), count, s)
            for k in 0..<r { (scores + (j + k) * stride).update(from: s + k * count, count: count) }
            return
        }
        while j < g {
            scoresOne(E.self, keys, rows, count, d, queries + j * d, scores + j * stride)
            j += 1
        }
    }

    /// acc[j·dim ..< (j+1)·dim] += Σ_i weights[j·stride + i]·v_{rows(i)} for j < queryCount.
    @inline(__always)
    static func accumulate<E: KVElement, R: RowIndex>(
        _: E.Type, values: UnsafeRawPointer, rows: R, count: Int, dim d: Int,
        weights: UnsafePointer<Float>, queryCount g: Int, stride: Int, into acc: UnsafeMutablePointer<Float>
    ) {
        var j = 0
        while j + 4 <= g {
            accumulateFour(E.self, values, rows, count, d, weights + j * stride, stride, acc + j * d)
            j += 4
        }
        while j < g {
            accumulateOne(E.self, values, rows, count, d, weights + j * stride, acc + j * d)
            j += 1
        }
    }

    /// Whether `computeAndAccumulate` takes a group of this many queries: whole four-query tiles.
    @inline(__always)
    static func fusesPasses(_ g: Int) -> Bool { g % 4 == 0 }

    /// One block's scores and the previous block's V sum in one loop, a row pair of each per step (with `wide`, by
    /// default where `wideTiles`, four rows of each while both passes have them):
    /// scores[j·stride + i] = q_j·k_{keyRows(i)} for i < keyCount, and acc[j·dim …] += Σ_i
    /// weights[j·stride + i]·v_{valueRows(i)} for i < valueCount, for g (a multiple of four) queries.
    ///
    /// Why: run one after the other, a block's K pass and V pass each left the memory system idle while
    /// they computed (dense attention read ≈ 8 GB/s per thread where the same K tile alone, rows requested
    /// ahead, streams ≈ 20); with a K step and a V step interleaved, one's loads are in flight while the
    /// other computes (a standalone replica: 101–129 → 76–100 ns per K + V row on the AVX-512 host). The
    /// steps are `scoresFour`'s and `accumulateFour`'s, and every score and every accumulator sees the same
    /// operations in the same order as in the two separate passes, so the bits do not change.
    @inline(__always)
    static func computeAndAccumulate<E: KVElement, R: RowIndex>(
        _: E.Type, keys: UnsafeRawPointer, keyRows: R, keyCount: Int,
        values: UnsafeRawPointer, valueRows: R, valueCount: Int, dim d: Int,
        queries: UnsafePointer<Float>, queryCount g: Int, stride: Int,
        scores: UnsafeMutablePointer<Float>, weights: UnsafePointer<Float>, into acc: UnsafeMutablePointer<Float>,
        wide: Bool? = nil
    ) {
        precondition(fusesPasses(g), "computeAndAccumulate: \(g) queries is not a whole number of four-query tiles")
        let n = Swift.max(keyCount, valueCount)
        var i = 0
        if wide ?? wideTiles {
            // Four rows of each pass per step while both have them: the four-by-four K tile and two V steps
            // (in an L1-resident probe 32 against 37 ns per K + V row; at 64K tokens, where memory bounds the
            // loop, within ±4 %).
            let both = Swift.min(keyCount, valueCount) & ~3
            while i < both {
                var t = 0
                while t < g {
                    scoresFourByFourStep(E.self, keys, keyRows, keyCount, d, queries + t * d, stride, scores + t * stride, at: i)
                    accumulateFourStep(E.self, values, valueRows, valueCount, d, weights + t * stride, stride, acc + t * d, at: i)
                    accumulateFourStep(E.self, values, valueRows, valueCount, d, weights + t * stride, stride, acc + t * d, at: i &+ 2)
                    t &+= 4
                }
                i &+= 4
            }
        }
        while i < n {
            var t = 0
            while t < g {
                if i < keyCount {
                    scoresFourStep(E.self, keys, keyRows, keyCount, d, queries + t * d, stride, scores + t * stride, at: i)
                }
                if i < valueCount {
                    accumulateFourStep(E.self, values, valueRows, valueCount, d, weights + t * stride, stride, acc + t * d, at: i)
                }
                t &+= 4
            }
            i &+= 2
        }
    }

    // MARK: scores

    /// Four queries × two rows per tile; with `wide` (by default where `wideTiles`: the tests pass true to
    /// check the wide path in any build) four-row tiles (`scoresFourByFourStep`) and two-row tiles for the last rows.
    @inline(__always)
    static func scoresFour<E: KVElement, R: RowIndex>(
        _: E.Type, _ keys: UnsafeRawPointer, _ rows: R, _ count: Int, _ d: Int,
        _ q: UnsafePointer<Float>, _ stride: Int, _ out: UnsafeMutablePointer<Float>, wide: Bool? = nil
    ) {
        var i = 0
        if wide ?? wideTiles {
            while i &+ 4 <= count {
                scoresFourByFourStep(E.self, keys, rows, count, d, q, stride, out, at: i)
                i &+= 4
            }
        }
        while i < count {
            scoresFourStep(E.self, keys, rows, count, d, q, stride, out, at: i)
            i &+= 2
        }
    }

    /// Four queries × four rows (i ..< i + 4, all in range): sixteen accumulators, each (query, row) dot the
    /// same chain and the same `reduce8` tree as in `scoresFourStep`, so the same bits.
    ///
    /// Why: a gather's K pass is bound by how many listed rows' misses are in flight, and the two-row tile's
    /// loop body (≈ 300 instructions per row pair, most of them the queries' loads and the FMAs) holds few rows
    /// in the core's window; four rows per step read 15–25 % faster in a C replica of the K gather (one thread,
    /// 1 row in 15 of 8 × 64K rows listed, rows 12 ahead into L2: 2.4 against 2.8–3.2 ms, the AVX-512 host).
    @inline(__always)
    static func scoresFourByFourStep<E: KVElement, R: RowIndex>(
        _: E.Type, _ keys: UnsafeRawPointer, _ rows: R, _ count: Int, _ d: Int,
        _ q: UnsafePointer<Float>, _ stride: Int, _ out: UnsafeMutablePointer<Float>, at i: Int
    ) {
        let rq = UnsafeRawPointer(q), d8 = d & ~7, qb = d * 4
        let r0 = rows(i) &* d, r1 = rows(i &+ 1) &* d, r2 = rows(i &+ 2) &* d, r3 = rows(i &+ 3) &* d
        let rb = d &* E.dtype.bytesPerElement
        for p in 0..<4 { rows.request(keys, after: i &+ p, count: count, rowBytes: rb, minimumAhead: 4) }
        var a00 = SIMD8<Float>(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00
        var a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00
        var c = 0
        while c < d8 {
            let k0 = E.load8(keys, r0 &+ c), k1 = E.load8(keys, r1 &+ c)
            let k2 = E.load8(keys, r2 &+ c), k3 = E.load8(keys, r3 &+ c)
            let x0 = rq.loadUnaligned(fromByteOffset: c &* 4, as: SIMD8<Float>.self)
            a00 = a00.addingProduct(x0, k0); a01 = a01.addingProduct(x0, k1)
            a02 = a02.addingProduct(x0, k2); a03 = a03.addingProduct(x0, k3)
            let x1 = rq.loadUnaligned(fromByteOffset: qb &+ c &* 4, as: SIMD8<Float>.self)
            a10 = a10.addingProduct(x1, k0); a11 = a11.addingProduct(x1, k1)
            a12 = a12.addingProduct(x1, k2); a13 = a13.addingProduct(x1, k3)
            let x2 = rq.loadUnaligned(fromByteOffset: 2 &* qb &+ c &* 4, as: SIMD8<Float>.self)
            a20 = a20.addingProduct(x2, k0); a21 = a21.addingProduct(x2, k1)
            a22 = a22.addingProduct(x2, k2); a23 = a23.addingProduct(x2, k3)
            let x3 = rq.loadUnaligned(fromByteOffset: 3 &* qb &+ c &* 4, as: SIMD8<Float>.self)
            a30 = a30.addingProduct(x3, k0); a31 = a31.addingProduct(x3, k1)
            a32 = a32.addingProduct(x3, k2); a33 = a33.addingProduct(x3, k3)
            c &+= 8
        }
        // The two-row step's layout for rows (i, i + 1) and for rows (i + 2, i + 3).
        var s = reduce8(a00, a01, a10, a11, a20, a21, a30, a31)
        var t = reduce8(a02, a03, a12, a13, a22, a23, a32, a33)
        for e in d8..<d {
            let k0 = E.load1(keys, r0 &+ e), k1 = E.load1(keys, r1 &+ e)
            let k2 = E.load1(keys, r2 &+ e), k3 = E.load1(keys, r3 &+ e)
            for jj in 0..<4 {
                let x = q[jj * d + e]
                s[2 * jj] = s[2 * jj].addingProduct(x, k0); s[2 * jj + 1] = s[2 * jj + 1].addingProduct(x, k1)
                t[2 * jj] = t[2 * jj].addingProduct(x, k2); t[2 * jj + 1] = t[2 * jj + 1].addingProduct(x, k3)
            }
        }
        for jj in 0..<4 {
            let o = out + jj * stride + i
            o[0] = s[2 * jj]; o[1] = s[2 * jj + 1]; o[2] = t[2 * jj]; o[3] = t[2 * jj + 1]
        }
    }

    /// `scoresFour`'s tile at rows i and i + 1 (row i alone when it is the last).
    @inline(__always)
    static func scoresFourStep<E: KVElement, R: RowIndex>(
        _: E.Type, _ keys: UnsafeRawPointer, _ rows: R, _ count: Int, _ d: Int,
        _ q: UnsafePointer<Float>, _ stride: Int, _ out: UnsafeMutablePointer<Float>, at i: Int
    ) {
        let rq = UnsafeRawPointer(q), d8 = d & ~7, qb = d * 4
        let two = i + 1 < count
        let r0 = rows(i) &* d, r1 = two ? rows(i + 1) &* d : r0
        let rb = d &* E.dtype.bytesPerElement
        rows.request(keys, after: i, count: count, rowBytes: rb)
        rows.request(keys, after: i &+ 1, count: count, rowBytes: rb)
        var a0 = SIMD8<Float>(), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0
        var c = 0
        while c < d8 {
            let k0 = E.load8(keys, r0 &+ c), k1 = E.load8(keys, r1 &+ c)
            let x0 = rq.loadUnaligned(fromByteOffset: c &* 4, as: SIMD8<Float>.self)
            let x1 = rq.loadUnaligned(fromByteOffset: qb &+ c &* 4, as: SIMD8<Float>.self)
            let x2 = rq.loadUnaligned(fromByteOffset: 2 &* qb &+ c &* 4, as: SIMD8<Float>.self)
            let x3 = rq.loadUnaligned(fromByteOffset: 3 &* qb &+ c &* 4, as: SIMD8<Float>.self)
            a0 = a0.addingProduct(x0, k0); b0 = b0.addingProduct(x0, k1)
            a1 = a1.addingProduct(x1, k0); b1 = b1.addingProduct(x1, k1)
            a2 = a2.addingProduct(x2, k0); b2 = b2.addingProduct(x2, k1)
            a3 = a3.addingProduct(x3, k0); b3 = b3.addingProduct(x3, k1)
            c &+= 8
        }
        var s = reduce8(a0, b0, a1, b1, a2, b2, a3, b3)
        for e in d8..<d {
            let k0 = E.load1(keys, r0 &+ e), k1 = E.load1(keys, r1 &+ e)
            for jj in 0..<4 {
                s[2 * jj] = s[2 * jj].addingProduct(q[jj * d + e], k0)
                s[2 * jj + 1] = s[2 * jj + 1].addingProduct(q[jj * d + e], k1)
            }
        }
        out[i] = s[0]; out[stride + i] = s[2]; out[2 * stride + i] = s[4]; out[3 * stride + i] = s[6]
        if two { out[i + 1] = s[1]; out[stride + i + 1] = s[3]; out[2 * stride + i + 1] = s[5]; out[3 * stride + i + 1] = s[7] }
    }

    /// One query × eight rows per tile, then single rows.
    @inline(__always)
    static func scoresOne<E: KVElement, R: RowIndex>(
        _: E.Type, _ keys: UnsafeRawPointer, _ rows: R, _ count: Int, _ d: Int,
        _ q: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>
    ) {
        let rq = UnsafeRawPointer(q), d8 = d & ~7
        var i = 0
        while i + 8 <= count {
            let r0 = rows(i) &* d, r1 = rows(i + 1) &* d, r2 = rows(i + 2) &* d, r3 = rows(i + 3) &* d
            let r4 = rows(i + 4) &* d, r5 = rows(i + 5) &* d, r6 = rows(i + 6) &* d, r7 = rows(i + 7) &* d
            let rb = d &* E.dtype.bytesPerElement
            for p in 0..<8 { rows.request(keys, after: i &+ p, count: count, rowBytes: rb, minimumAhead: 8) }
            var a0 = SIMD8<Float>(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0
            var c = 0
            while c < d8 {
                let x = rq.loadUnaligned(fromByteOffset: c &* 4, as: SIMD8<Float>.self)
                a0 = a0.addingProduct(x, E.load8(keys, r0 &+ c)); a1 = a1.addingProduct(x, E.load8(keys, r1 &+ c))
                a2 = a2.addingProduct(x, E.load8(keys, r2 &+ c)); a3 = a3.addingProduct(x, E.load8(keys, r3 &+ c))
                a4 = a4.addingProduct(x, E.load8(keys, r4 &+ c)); a5 = a5.addingProduct(x, E.load8(keys, r5 &+ c))
                a6 = a6.addingProduct(x, E.load8(keys, r6 &+ c)); a7 = a7.addingProduct(x, E.load8(keys, r7 &+ c))
                c &+= 8
            }
            var s = reduce8(a0, a1, a2, a3, a4, a5, a6, a7)
            for e in d8..<d {
                let x = q[e]
                s[0] = s[0].addingProduct(x, E.load1(keys, r0 &+ e)); s[1] = s[1].addingProduct(x, E.load1(keys, r1 &+ e))
                s[2] = s[2].addingProduct(x, E.load1(keys, r2 &+ e)); s[3] = s[3].addingProduct(x, E.load1(keys, r3 &+ e))
                s[4] = s[4].addingProduct(x, E.load1(keys, r4 &+ e)); s[5] = s[5].addingProduct(x, E.load1(keys, r5 &+ e))
                s[6] = s[6].addingProduct(x, E.load1(keys, r6 &+ e)); s[7] = s[7].addingProduct(x, E.load1(keys, r7 &+ e))
            }
            UnsafeMutableRawPointer(out + i).storeBytes(of: s, as: SIMD8<Float>.self)
            i &+= 8
        }
        while i < count {
            let r0 = rows(i) &* d
            var a0 = SIMD8<Float>()
            var c = 0
            while c < d8 {
                a0 = a0.addingProduct(rq.loadUnaligned(fromByteOffset: c &* 4, as: SIMD8<Float>.self), E.load8(keys, r0 &+ c))
                c &+= 8
            }
            let z = SIMD8<Float>()
            var s = reduce8(a0, z, z, z, z, z, z, z)[0]
            for e in d8..<d { s = s.addingProduct(q[e], E.load1(keys, r0 &+ e)) }
            out[i] = s
            i &+= 1
        }
    }

    /// (Σ x0, …, Σ x7) with one tree per vector — lanes k and k+4, then adjacent pairs, then the
    /// two halves — shared across the eight vectors (6 adds and 14 shuffles for 8 sums). Each
    /// sum depends only on its own vector, so padding with zeros changes no other lane.
    @inline(__always)
    static func reduce8(_ x0: SIMD8<Float>, _ x1: SIMD8<Float>, _ x2: SIMD8<Float>, _ x3: SIMD8<Float>,
                        _ x4: SIMD8<Float>, _ x5: SIMD8<Float>, _ x6: SIMD8<Float>, _ x7: SIMD8<Float>) -> SIMD8<Float> {
        // fold(a, b) = (a[k] + a[k+4] for k < 4, b[k] + b[k+4] for k < 4).
        @inline(__always) func fold(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
            SIMD8(lowHalf: a.lowHalf, highHalf: b.lowHalf) + SIMD8(lowHalf: a.highHalf, highHalf: b.highHalf)
        }
        // Pairwise sums within each 128-bit half (x86 `hadd` order).
        @inline(__always) func pairs(_ u: SIMD8<Float>, _ v: SIMD8<Float>) -> SIMD8<Float> {
            SIMD8(u[0], u[2], v[0], v[2], u[4], u[6], v[4], v[6]) + SIMD8(u[1], u[3], v[1], v[3], u[5], u[7], v[5], v[7])
        }
        // With inputs (x0, x4, x1, x5, x2, x6, x3, x7) the lanes come out as (x0, …, x7).
        return pairs(pairs(fold(x0, x4), fold(x1, x5)), pairs(fold(x2, x6), fold(x3, x7)))
    }

    // MARK: weighted sums of V

    /// Four queries × two rows per step, the eight weights broadcast once per row pair; rows in
    /// address order, each row's lines fetched once.
    ///
    /// Why row-outer for contiguous blocks too: the slice-outer V sum it replaced (four queries × 16
    /// dims in registers across a 64-row block) read each 512-byte row one line per pass, so the
    /// block was walked eight times with a 512-byte stride that the prefetchers served badly; in a
    /// probe the V pass alone took 1.6× the K pass. Row-outer with the rows 2 KB ahead requested
    /// streams V like K: dense attention ≈ 18 % faster at 64K tokens on 1 thread, same bits (each
    /// query's sum per dim is the same fused chain over the rows in order).
    @inline(__always)
    static func accumulateFour<E: KVElement, R: RowIndex>(
        _: E.Type, _ values: UnsafeRawPointer, _ rows: R, _ count: Int, _ d: Int,
        _ w: UnsafePointer<Float>, _ stride: Int, _ acc: UnsafeMutablePointer<Float>
    ) {
        if wideTiles {
            accumulateFourWide(E.self, values, rows, count, d, w, stride, acc)
            return
        }
        var i = 0
        while i < count {
            accumulateFourStep(E.self, values, rows, count, d, w, stride, acc, at: i)
            i &+= 2
        }
    }

    /// `accumulateFour` with the four queries' sums in registers: the rows in chunks of `wideChunkRows`, and per
    /// chunk one pass per 64 dims holding the four queries × 64 dims (sixteen 16-lane accumulators) across the
    /// chunk's rows; the first pass requests the rows ahead, the others find them in L2. Dims after the last whole
    /// 64 are summed row by row from memory as in `accumulateFourStep`. Each (query, dim) is still one fused chain
    /// over the rows in order, so the bits are those of `accumulateFourStep`.
    ///
    /// Why: the row-outer sum loads and stores the four queries' 2 KB of accumulators for every row pair, and in a
    /// gather that traffic competes with the listed rows' misses; in a C replica of MagicPIG's V gather (one
    /// thread, 1 row in 15 of 8 × 64K rows, AVX-512 host) this form ran 1.35–1.4 ms against 1.9–2.0 ms, faster
    /// than a bare sum of the same rows.
    static func accumulateFourWide<E: KVElement, R: RowIndex>(
        _: E.Type, _ values: UnsafeRawPointer, _ rows: R, _ count: Int, _ d: Int,
        _ w: UnsafePointer<Float>, _ stride: Int, _ acc: UnsafeMutablePointer<Float>
    ) {
        let ra = UnsafeMutableRawPointer(acc), d64 = d & ~63, ab = d * 4
        let rb = d &* E.dtype.bytesPerElement, chunk = wideChunkRows(rb)
        let w1 = w + stride, w2 = w + 2 * stride, w3 = w + 3 * stride
        var start = 0
        while start < count {
            let end = Swift.min(start &+ chunk, count)
            var c = 0
            while c < d64 {
                @inline(__always) func load(_ j: Int, _ k: Int) -> SIMD16<Float> {
                    ra.loadUnaligned(fromByteOffset: j &* ab &+ (c &+ 16 &* k) &* 4, as: SIMD16<Float>.self)
                }
                @inline(__always) func store(_ x: SIMD16<Float>, _ j: Int, _ k: Int) {
                    ra.storeBytes(of: x, toByteOffset: j &* ab &+ (c &+ 16 &* k) &* 4, as: SIMD16<Float>.self)
                }
                var a00 = load(0, 0), a01 = load(0, 1), a02 = load(0, 2), a03 = load(0, 3)
                var a10 = load(1, 0), a11 = load(1, 1), a12 = load(1, 2), a13 = load(1, 3)
                var a20 = load(2, 0), a21 = load(2, 1), a22 = load(2, 2), a23 = load(2, 3)
                var a30 = load(3, 0), a31 = load(3, 1), a32 = load(3, 2), a33 = load(3, 3)
                let requests = c == 0
                var i = start
                while i < end {
                    if requests { rows.request(values, after: i, count: count, rowBytes: rb) }
                    let r = rows(i) &* d &+ c
                    let v0 = E.load16(values, r), v1 = E.load16(values, r &+ 16)
                    let v2 = E.load16(values, r &+ 32), v3 = E.load16(values, r &+ 48)
                    let x0 = SIMD16<Float>(repeating: w[i])
                    a00 = a00.addingProduct(x0, v0); a01 = a01.addingProduct(x0, v1)
                    a02 = a02.addingProduct(x0, v2); a03 = a03.addingProduct(x0, v3)
                    let x1 = SIMD16<Float>(repeating: w1[i])
                    a10 = a10.addingProduct(x1, v0); a11 = a11.addingProduct(x1, v1)
                    a12 = a12.addingProduct(x1, v2); a13 = a13.addingProduct(x1, v3)
                    let x2 = SIMD16<Float>(repeating: w2[i])
                    a20 = a20.addingProduct(x2, v0); a21 = a21.addingProduct(x2, v1)
                    a22 = a22.addingProduct(x2, v2); a23 = a23.addingProduct(x2, v3)
                    let x3 = SIMD16<Float>(repeating: w3[i])
                    a30 = a30.addingProduct(x3, v0); a31 = a31.addingProduct(x3, v1)
                    a32 = a32.addingProduct(x3, v2); a33 = a33.addingProduct(x3, v3)
                    i &+= 1
                }
                store(a00, 0, 0); store(a01, 0, 1); store(a02, 0, 2); store(a03, 0, 3)
                store(a10, 1, 0); store(a11, 1, 1); store(a12, 1, 2); store(a13, 1, 3)
                store(a20, 2, 0); store(a21, 2, 1); store(a22, 2, 2); store(a23, 2, 3)
                store(a30, 3, 0); store(a31, 3, 1); store(a32, 3, 2); store(a33, 3, 3)
                c &+= 64
            }
            if d64 < d {
                // The dims after the last whole 64, row by row as `accumulateFourStep` sums a last single row.
                for i in start..<end {
                    if d64 == 0 { rows.request(values, after: i, count: count, rowBytes: rb) }
                    accumulateFourRow(E.self, values, rows(i) &* d, d, from: d64, w, stride, acc, at: i)
                }
            }
            start = end
        }
    }

    /// `accumulateFour`'s step at rows i and i + 1 (row i alone when it is the last).
    @inline(__always)
    static func accumulateFourStep<E: KVElement, R: RowIndex>(
        _: E.Type, _ values: UnsafeRawPointer, _ rows: R, _ count: Int, _ d: Int,
        _ w: UnsafePointer<Float>, _ stride: Int, _ acc: UnsafeMutablePointer<Float>, at i: Int
    ) {
        let ra = UnsafeMutableRawPointer(acc), d8 = d & ~7, ab = d * 4
        if i + 2 <= count {
            let r0 = rows(i) &* d, r1 = rows(i + 1) &* d
            let rb = d &* E.dtype.bytesPerElement
            rows.request(values, after: i, count: count, rowBytes: rb)
            rows.request(values, after: i &+ 1, count: count, rowBytes: rb)
            let w00 = SIMD8<Float>(repeating: w[i]), w01 = SIMD8<Float>(repeating: w[i + 1])
            let w10 = SIMD8<Float>(repeating: w[stride + i]), w11 = SIMD8<Float>(repeating: w[stride + i + 1])
            let w20 = SIMD8<Float>(repeating: w[2 * stride + i]), w21 = SIMD8<Float>(repeating: w[2 * stride + i + 1])
            let w30 = SIMD8<Float>(repeating: w[3 * stride + i]), w31 = SIMD8<Float>(repeating: w[3 * stride + i + 1])
            var c = 0
            while c < d8 {
                let v0 = E.load8(values, r0 &+ c), v1 = E.load8(values, r1 &+ c)
                let o = c &* 4
                ra.storeBytes(of: ra.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self).addingProduct(w00, v0).addingProduct(w01, v1),
                              toByteOffset: o, as: SIMD8<Float>.self)
                ra.storeBytes(of: ra.loadUnaligned(fromByteOffset: ab &+ o, as: SIMD8<Float>.self).addingProduct(w10, v0).addingProduct(w11, v1),
                              toByteOffset: ab &+ o, as: SIMD8<Float>.self)
                ra.storeBytes(of: ra.loadUnaligned(fromByteOffset: 2 &* ab &+ o, as: SIMD8<Float>.self).addingProduct(w20, v0).addingProduct(w21, v1),
                              toByteOffset: 2 &* ab &+ o, as: SIMD8<Float>.self)
                ra.storeBytes(of: ra.loadUnaligned(fromByteOffset: 3 &* ab &+ o, as: SIMD8<Float>.self).addingProduct(w30, v0).addingProduct(w31, v1),
                              toByteOffset: 3 &* ab &+ o, as: SIMD8<Float>.self)
                c &+= 8
            }
            for e in d8..<d {
                let v0 = E.load1(values, r0 &+ e), v1 = E.load1(values, r1 &+ e)
                for jj in 0..<4 {
                    acc[jj * d + e] = acc[jj * d + e].addingProduct(w[jj * stride + i], v0).addingProduct(w[jj * stride + i + 1], v1)
                }
            }
        } else {
            accumulateFourRow(E.self, values, rows(i) &* d, d, from: 0, w, stride, acc, at: i)
        }
    }

    /// Row i (its elements from `r0`) alone into the four queries' sums, dims `first` ..< d (`first` a multiple of 8).
    @inline(__always)
    static func accumulateFourRow<E: KVElement>(
        _: E.Type, _ values: UnsafeRawPointer, _ r0: Int, _ d: Int, from first: Int,
        _ w: UnsafePointer<Float>, _ stride: Int, _ acc: UnsafeMutablePointer<Float>, at i: Int
    ) {
        let ra = UnsafeMutableRawPointer(acc), d8 = d & ~7, ab = d * 4
        for jj in 0..<4 {
            let wj = SIMD8<Float>(repeating: w[jj * stride + i]), o0 = jj &* ab
            var c = first
            while c < d8 {
                let o = o0 &+ c &* 4
                ra.storeBytes(of: ra.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self).addingProduct(wj, E.load8(values, r0 &+ c)),
                              toByteOffset: o, as: SIMD8<Float>.self)
                c &+= 8
            }
            for e in d8..<d { acc[jj * d + e] = acc[jj * d + e].addingProduct(w[jj * stride + i], E.load1(values, r0 &+ e)) }
        }
    }

    /// One query × four rows per step, then single rows.
    @inline(__always)
    static func accumulateOne<E: KVElement, R: RowIndex>(
        _: E.Type, _ values: UnsafeRawPointer, _ rows: R, _ count: Int, _ d: Int,
        _ w: UnsafePointer<Float>, _ acc: UnsafeMutablePointer<Float>
    ) {
        let ra = UnsafeMutableRawPointer(acc), d8 = d & ~7
        var i = 0
        while i + 4 <= count {
            let r0 = rows(i) &* d, r1 = rows(i + 1) &* d, r2 = rows(i + 2) &* d, r3 = rows(i + 3) &* d
            let rb = d &* E.dtype.bytesPerElement
            for p in 0..<4 { rows.request(values, after: i &+ p, count: count, rowBytes: rb) }
            let w0 = SIMD8<Float>(repeating: w[i]), w1 = SIMD8<Float>(repeating: w[i + 1])
            let w2 = SIMD8<Float>(repeating: w[i + 2]), w3 = SIMD8<Float>(repeating: w[i + 3])
            var c = 0
            while c < d8 {
                let o = c &* 4
                let a = ra.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self)
                    .addingProduct(w0, E.load8(values, r0 &+ c)).addingProduct(w1, E.load8(values, r1 &+ c))
                    .addingProduct(w2, E.load8(values, r2 &+ c)).addingProduct(w3, E.load8(values, r3 &+ c))
                ra.storeBytes(of: a, toByteOffset: o, as: SIMD8<Float>.self)
                c &+= 8
            }
            for e in d8..<d {
                acc[e] = acc[e].addingProduct(w[i], E.load1(values, r0 &+ e)).addingProduct(w[i + 1], E.load1(values, r1 &+ e))
                    .addingProduct(w[i + 2], E.load1(values, r2 &+ e)).addingProduct(w[i + 3], E.load1(values, r3 &+ e))
            }
            i &+= 4
        }
        while i < count {
            let r0 = rows(i) &* d
            let wi = SIMD8<Float>(repeating: w[i])
            var c = 0
            while c < d8 {
                let o = c &* 4
                ra.storeBytes(of: ra.loadUnaligned(fromByteOffset: o, as: SIMD8<Float>.self).addingProduct(wi, E.load8(values, r0 &+ c)),
                              toByteOffset: o, as: SIMD8<Float>.self)
                c &+= 8
            }
            for e in d8..<d { acc[e] = acc[e].addingProduct(w[i], E.load1(values, r0 &+ e)) }
            i &+= 1
        }
    }
}

/// How a kernel finds row i: a contiguous range (dense attention, TopK's scan) or a list (the
/// sparse methods' gather, which prefetches rows ahead because no hardware prefetcher can).
protocol RowIndex {
    func callAsFunction(_ i: Int) -> Int
    /// Called as the loop reaches row i of `count`: requests from `base` (rows of `rowBytes` bytes) the row the
    /// loop will read some rows later, as far ahead as this way of addressing rows needs, and at least
    /// `minimumAhead` rows (a loop taking that many rows per step). Each kind of row index decides how.
    func request(_ base: UnsafeRawPointer, after i: Int, count: Int, rowBytes: Int, minimumAhead: Int)
}

extension RowIndex {
    @inline(__always) func request(_ base: UnsafeRawPointer, after i: Int, count: Int, rowBytes: Int) {
        request(base, after: i, count: count, rowBytes: rowBytes, minimumAhead: 1)
    }
}


struct ContiguousRows: RowIndex {
    let first: Int
    @inline(__always) func callAsFunction(_ i: Int) -> Int { first &+ i }
    /// The end (absolute row) of the caller's whole scan when it hands the rows over in blocks, so the
    /// rows ahead of a block's last ones are requested too; 0: the block's own end.
    var end: Int = 0
    /// The row-sized window `GroupScores.aheadBytes` ahead (into L2), up to the end of the scan.
    @inline(__always) func request(_ base: UnsafeRawPointer, after i: Int, count: Int, rowBytes: Int, minimumAhead: Int) {
        // In bytes, so no division by the row size per request (a `div` per row showed in the dense loop's profile):
        // the window requested starts `aheadBytes` past row i, or `minimumAhead` rows if that is further.
        let o = (first &+ i) &* rowBytes &+ Swift.max(minimumAhead &* rowBytes, GroupScores.aheadBytes)
        if o < Swift.max(end, first &+ count) &* rowBytes { Prefetch.readToL2(base + o, bytes: rowBytes) }
    }
}

struct ListedRows: RowIndex {
    let rows: UnsafePointer<Int32>

    @inline(__always) func callAsFunction(_ i: Int) -> Int { Int(rows[i]) }
    /// The listed row `GroupScores.prefetchRows` ahead (≥ any loop's step), into L2.
    @inline(__always) func request(_ base: UnsafeRawPointer, after i: Int, count: Int, rowBytes: Int, minimumAhead: Int) {
        let j = i &+ GroupScores.prefetchRows
        if j < count { Prefetch.readToL2(base + Int(rows[j]) &* rowBytes, bytes: rowBytes) }
    }
}
