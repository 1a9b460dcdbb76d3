import Kernels

/// Integer dot products of quantised weight rows with a `QuantizedActivation`: per 32-element block the
/// products q_w·q_x are summed in Int32, then scaled once by the weight's and the activation's scales.
///
/// Every block sum goes through `bytePairSums`, which multiplies 32 unsigned by 32 signed bytes with 256-bit
/// pmaddubsw (AVX2) where LLVM can select it, as llama.cpp's kernels do. The unsigned operand is the
/// magnitude of one side and the signed operand the other side with that sign: |x| against sign(x)·w for the
/// types whose weights fit in 6 bits (the activation's magnitudes and signs are kept by `QuantizedActivation`),
/// |w| against sign(w)·x for Q8_0. The block sums are exact integers either way, so the row results are the
/// same bits as the earlier pmaddwd kernels' (docs/engine.md, "Fifth session"). Scales are applied in Float,
/// block by block.
extension QuantizedDot {
    /// Whether `dot(_:_:_:)` has an integer kernel for the type.
    static func hasInt8Kernel(_ type: GGMLType) -> Bool {
        switch type {
        case .q8_0, .q4_0, .q4_1, .q5_0, .q4_K, .q6_K: return true
        default: return false
        }
    }

    /// Σ w·x over a whole row, x quantised (`a.count` elements).
    @inline(__always)
    static func dot(_ type: GGMLType, _ row: UnsafeRawPointer, _ a: QuantizedActivation) -> Float {
        switch type {
        case .q8_0: return q8_0(row, a)
        case .q4_0: return q4_0(row, a)
        case .q4_1: return q4_1(row, a)
        case .q5_0: return q5_0(row, a)
        case .q4_K: return q4_K(row, a)
        case .q6_K: return q6_K(row, a)
        default: preconditionFailure("no integer kernel for \(type)")
        }
    }

    /// Σ a[j]·b[j] over 32 elements in eight Int32 lanes: the lanes sum to the total, lanes 0..<4 to the sum over
    /// j < 16 and lanes 4..<8 to the sum over j ≥ 16.
    ///
    /// Callers guarantee |a[2i]·b[2i] + a[2i+1]·b[2i+1]| ≤ 32767 for every i (the kernels' operands are at most
    /// 128 × 127 or 127 × 32). A native build on a CPU with AVX512-VNNI sums groups of four products with one
    /// `vpdpbusd` (`ByteProducts.quadSums`, lanes as described). Elsewhere on x86-64 the sums go through
    /// `bytePairSumsSaturating` (pmaddubsw; a build for
    /// the baseline by another route than `portable` still gets the right integers, from a scalar loop); a portable
    /// build (`MAGICPIG_TARGET_CPU=portable`, SSE2 without SSSE3's pmaddubsw) and other architectures take
    /// `bytePairSumsPlain`. Both give the same integers (a test checks it).
    @inline(__always)
    static func bytePairSums(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<Int8>) -> SIMD8<Int32> {
        #if MAGICPIG_AVX512_VNNI
        ByteProducts.quadSums(SIMD8(), a, b)
        #elseif arch(x86_64) && !MAGICPIG_PORTABLE_CPU
        bytePairSumsSaturating(a, b)
        #else
        bytePairSumsPlain(a, b)
        #endif
    }

    /// `bytePairSums` written so that LLVM selects pmaddubsw: the pair sums are clamped and truncated to Int16
    /// in a pointer loop (the pattern its x86 backend matches) and then reread as Int32 lanes through a bit
    /// cast. Under the callers' bound the clamp never acts. Summing the Int16 values directly lets LLVM prove
    /// the clamp redundant and fold the truncation away, and then the products fall back to 128-bit pmaddwd;
    /// operands assembled from two halves (a nibble unpacking) lose the pattern too, which is why the kernels
    /// put the unpacked nibbles on the signed side, written to a local block.
    @inline(__always)
    static func bytePairSumsSaturating(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<Int8>) -> SIMD8<Int32> {
        var pairs = SIMD16<Int16>()
        withUnsafeMutableBytes(of: &pairs) { raw in
            let out = raw.baseAddress!.assumingMemoryBound(to: Int16.self)
            for i in 0..<16 {
                let sum = Int32(a[2 &* i]) &* Int32(b[2 &* i]) &+ Int32(a[2 &* i &+ 1]) &* Int32(b[2 &* i &+ 1])
                out[i] = Int16(truncatingIfNeeded: Swift.min(Swift.max(sum, -32768), 32767))
            }
        }
        let lanes = unsafeBitCast(pairs, to: SIMD8<Int32>.self)
        return ((lanes &<< 16) &>> 16) &+ (lanes &>> 16)
    }

    /// `bytePairSums` as two plain Int32 reductions (pmaddwd on SSE2), in lanes 0 and 4: every caller sums all
    /// lanes or each half, which is all the lane layout promises beyond `bytePairSumsSaturating`.
    @inline(__always)
    static func bytePairSumsPlain(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<Int8>) -> SIMD8<Int32> {
        var first: Int32 = 0, second: Int32 = 0
        for j in 0..<16 { first &+= Int32(a[j]) &* Int32(b[j]) }
        for j in 16..<32 { second &+= Int32(a[j]) &* Int32(b[j]) }
        return SIMD8(first, 0, 0, 0, second, 0, 0, 0)
    }

    /// v with the sign of the mask (0 keeps it, −1 negates it). Negating −128 gives the bit pattern of 128, which
    /// only Q8_0's magnitude meets and reads as UInt8; the signed operands are at most 127 in magnitude.
    @inline(__always)
    static func signed(_ v: Int8, _ mask: Int8) -> Int8 { (v ^ mask) &- mask }

    /// Runs `body` on a 32-byte signed scratch block (a local the optimiser keeps in registers).
    @inline(__always)
    static func withSignedBlock<R>(_ body: (UnsafeMutablePointer<Int8>) -> R) -> R {
        var block = SIMD32<Int8>()
        return withUnsafeMutableBytes(of: &block) { body($0.baseAddress!.assumingMemoryBound(to: Int8.self)) }
    }

    // The 32-element block types take four blocks per step into SIMD4 lanes: with one scalar
    // accumulator every block waited on the previous block's add (≈ 12 % more CPU time per row in the probe).
    // A closure- or protocol-based driver for this lost the gain (the closure was not inlined), so it is written out
    // per type.

    static func q8_0(_ row: UnsafeRawPointer, _ a: QuantizedActivation) -> Float {
        let blocks = a.count / 32
        var acc = SIMD4<Float>()
        var b = 0
        while b + 4 <= blocks {
            let w0 = row + 34 * b, w1 = w0 + 34, w2 = w1 + 34, w3 = w2 + 34
            let x = 32 * b
            let sums = floats(q8_0Block(w0, a, x), q8_0Block(w1, a, x + 32), q8_0Block(w2, a, x + 64), q8_0Block(w3, a, x + 96))
            acc += sums * halves(w0, w1, w2, w3, at: 0) * four(a.scales + b)
            b += 4
        }
        var tail: Float = 0
        for b in b..<blocks {
            let block = row + 34 * b
            tail += half(block, 0) * a.scales[b] * Float(q8_0Block(block, a, 32 * b))
        }
        return acc.sum() + tail
    }

    /// Σ q_w·q_x as |q_w| against sign(q_w)·q_x: |q_w| ≤ 128 (a stored −128 included) and |q_x| ≤ 127.
    @inline(__always)
    static func q8_0Block(_ block: UnsafeRawPointer, _ a: QuantizedActivation, _ first: Int) -> Int32 {
        #if MAGICPIG_AVX512_VNNI
        return q8_0BlockVNNI(block, a, first)
        #else
        let w = (block + 2).assumingMemoryBound(to: Int8.self), x = a.quants + first
        var magnitudes = SIMD32<UInt8>()
        return withUnsafeMutableBytes(of: &magnitudes) { raw in
            let m = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            return withSignedBlock { s in
                for j in 0..<32 {
                    let sign = w[j] &>> 7
                    m[j] = UInt8(bitPattern: signed(w[j], sign))
                    s[j] = signed(x[j], sign)
                }
                return bytePairSums(m, s).wrappedSum()
            }
        }
        #endif
    }

    /// Q4_1: value = d·q + m, so a block adds d·d_x·Σ q·q_x + m·Σx; low nibbles are elements 0..<16, high 16..<32.
    static func q4_1(_ row: UnsafeRawPointer, _ a: QuantizedActivation) -> Float {
        let blocks = a.count / 32
        var acc = SIMD4<Float>(), offsets = SIMD4<Float>()
        var b = 0
        while b + 4 <= blocks {
            let w0 = row + 20 * b, w1 = w0 + 20, w2 = w1 + 20, w3 = w2 + 20
            let x = 32 * b
            let sums = floats(q4_1Block(w0, a, x), q4_1Block(w1, a, x + 32), q4_1Block(w2, a, x + 64), q4_1Block(w3, a, x + 96))
            acc += sums * halves(w0, w1, w2, w3, at: 0) * four(a.scales + b)
            offsets += halves(w0, w1, w2, w3, at: 2) * four(a.sums + b)
            b += 4
        }
        var tail: Float = 0
        for b in b..<blocks {
            let block = row + 20 * b
            tail += half(block, 0) * a.scales[b] * Float(q4_1Block(block, a, 32 * b)) + half(block, 2) * a.sums[b]
        }
        return (acc + offsets).sum() + tail
    }

    /// Σ q_w·q_x over the block whose activation starts at element `first`, as |q_x| against sign(q_x)·q_w.
    @inline(__always)
    static func q4_1Block(_ block: UnsafeRawPointer, _ a: QuantizedActivation, _ first: Int) -> Int32 {
        #if MAGICPIG_AVX512_VNNI
        return nibbleBlockVNNI(block + 4, a, first)
        #else
        let q = (block + 4).assumingMemoryBound(to: UInt8.self), sign = a.signs + first
        return withSignedBlock { s in
            for j in 0..<16 {
                s[j] = signed(Int8(bitPattern: q[j] & 0x0F), sign[j])
                s[j + 16] = signed(Int8(bitPattern: q[j] &>> 4), sign[j + 16])
            }
            return bytePairSums(a.magnitudes + first, s).wrappedSum()
        }
        #endif
    }

    // Four blocks' values built from named scalars: a `for u in 0..<4` loop writing SIMD4 lanes was left rolled
    // for Q5_0 and went through the stack (a store-forwarding stall took half of that kernel's time).
    @inline(__always)
    static func floats(_ a: Int32, _ b: Int32, _ c: Int32, _ d: Int32) -> SIMD4<Float> {
        SIMD4(Float(a), Float(b), Float(c), Float(d))
    }

    @inline(__always)
    static func halves(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ c: UnsafeRawPointer, _ d: UnsafeRawPointer,
                       at offset: Int) -> SIMD4<Float> {
        SIMD4(half(a, offset), half(b, offset), half(c, offset), half(d, offset))
    }

    @inline(__always)
    static func four(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
    }

    /// Q4_0: value = d·(q − 8).
    static func q4_0(_ row: UnsafeRawPointer, _ a: QuantizedActivation) -> Float {
        let blocks = a.count / 32
        var acc = SIMD4<Float>()
        var b = 0
        while b + 4 <= blocks {
            let w0 = row + 18 * b, w1 = w0 + 18, w2 = w1 + 18, w3 = w2 + 18
            let x = 32 * b
            let sums = floats(q4_0Block(w0, a, x), q4_0Block(w1, a, x + 32), q4_0Block(w2, a, x + 64), q4_0Block(w3, a, x + 96))
            acc += sums * halves(w0, w1, w2, w3, at: 0) * four(a.scales + b)
            b += 4
        }
        var tail: Float = 0
        for b in b..<blocks {
            let block = row + 18 * b
            tail += half(block, 0) * a.scales[b] * Float(q4_0Block(block, a, 32 * b))
        }
        return acc.sum() + tail
    }

    @inline(__always)
    static func q4_0Block(_ block: UnsafeRawPointer, _ a: QuantizedActivation, _ first: Int) -> Int32 {
        #if MAGICPIG_AVX512_VNNI
        return nibbleBlockVNNI(block + 2, a, first) &- 8 &* blockSum(a, first)
        #else
        let q = (block + 2).assumingMemoryBound(to: UInt8.self), sign = a.signs + first
        return withSignedBlock { s in
            for j in 0..<16 {
                s[j] = signed(Int8(bitPattern: q[j] & 0x0F) &- 8, sign[j])
                s[j + 16] = signed(Int8(bitPattern: q[j] &>> 4) &- 8, sign[j + 16])
            }
            return bytePairSums(a.magnitudes + first, s).wrappedSum()
        }
        #endif
    }

    /// Q5_0: value = d·(q − 16), the fifth bit of element j in bit j of a u32 (how Qwen2.5's attention and FFN
    /// gate/up weights are stored; decode re-stores them in planar groups or as Q8_0 blocks,
    /// `WeightMatrix.storedForDecode`, so this kernel serves only Q5_0 matrices that are not re-stored).
    static func q5_0(_ row: UnsafeRawPointer, _ a: QuantizedActivation) -> Float {
        let blocks = a.count / 32
        var acc = SIMD4<Float>()
        var b = 0
        while b + 4 <= blocks {
            let w0 = row + 22 * b, w1 = w0 + 22, w2 = w1 + 22, w3 = w2 + 22
            let x = 32 * b
            let sums = floats(q5_0Block(w0, a, x), q5_0Block(w1, a, x + 32), q5_0Block(w2, a, x + 64), q5_0Block(w3, a, x + 96))
            acc += sums * halves(w0, w1, w2, w3, at: 0) * four(a.scales + b)
            b += 4
        }
        var tail: Float = 0
        for b in b..<blocks {
            let block = row + 22 * b
            tail += half(block, 0) * a.scales[b] * Float(q5_0Block(block, a, 32 * b))
        }
        return acc.sum() + tail
    }

    @inline(__always)
    static func q5_0Block(_ block: UnsafeRawPointer, _ a: QuantizedActivation, _ first: Int) -> Int32 {
        let sign = a.signs + first
        return withSignedBlock { s in
            for j in 0..<16 {
                let (lo, hi) = Dequantize.q5_0Values(block, j)
                s[j] = signed(Int8(truncatingIfNeeded: lo), sign[j])
                s[j + 16] = signed(Int8(truncatingIfNeeded: hi), sign[j + 16])
            }
            return bytePairSums(a.magnitudes + first, s).wrappedSum()
        }
    }

    /// Q5_0 in the planar groups of `WeightMatrix.planeQ5_0Group` (a row of `a.count / 128` groups of 88 bytes):
    /// the same values, block sums and float operations as `q5_0`, so the same bits, from 22 bytes per block
    /// with constant shifts and masks (the block's place in its group is a literal at each call).
    static func q5_0Planar(_ row: UnsafeRawPointer, _ a: QuantizedActivation) -> Float {
        var acc = SIMD4<Float>()
        for g in 0 ..< a.count / 128 {
            let group = row + 88 * g, x = 128 * g
            let planes = (group + 8).assumingMemoryBound(to: UInt8.self), high = (group + 72).assumingMemoryBound(to: UInt8.self)
            let sums = floats(q5_0PlanarBlock(planes, high, 0, a, x), q5_0PlanarBlock(planes, high, 1, a, x + 32),
                              q5_0PlanarBlock(planes, high, 2, a, x + 64), q5_0PlanarBlock(planes, high, 3, a, x + 96))
            acc += sums * halves(group, group + 2, group + 4, group + 6, at: 0) * four(a.scales + 4 * g)
        }
        // `q5_0` adds its (here empty) tail the same way.
        let tail: Float = 0
        return acc.sum() + tail
    }

    /// Block k (0..<4) of a planar group: Σ (q − 16)·q_x as |q_x| against sign(q_x)·(q − 16), as `q5_0Block`.
    @inline(__always)
    static func q5_0PlanarBlock(_ planes: UnsafePointer<UInt8>, _ high: UnsafePointer<UInt8>, _ k: Int,
                                _ a: QuantizedActivation, _ first: Int) -> Int32 {
        #if MAGICPIG_AVX512_VNNI
        return q5_0PlanarBlockVNNI(planes, high, k, a, first)
        #else
        let plane = planes + 32 * (k >> 1), shift = UInt8(4 * (k & 1)), bit = UInt8(k)
        let sign = a.signs + first
        return withSignedBlock { s in
            for j in 0..<16 {
                let lo = (plane[j] &>> shift) & 0x0F | ((high[j] &>> bit) & 1) &<< 4
                let hi = (plane[j + 16] &>> shift) & 0x0F | ((high[j] &>> (bit + 4)) & 1) &<< 4
                s[j] = signed(Int8(bitPattern: lo) &- 16, sign[j])
                s[j + 16] = signed(Int8(bitPattern: hi) &- 16, sign[j + 16])
            }
            return bytePairSums(a.magnitudes + first, s).wrappedSum()
        }
        #endif
    }

    /// Q4_K: per 32-element sub-block s, value = d·scale_s·q − dmin·min_s; each sub-block is one activation block.
    static func q4_K(_ row: UnsafeRawPointer, _ a: QuantizedActivation) -> Float {
        var acc: Float = 0
        for sb in 0 ..< a.count / 256 {
            let block = row + 144 * sb
            let d = half(block, 0), dmin = half(block, 2)
            let scales = block + 4, qs = (block + 16).assumingMemoryBound(to: UInt8.self)
            var blockAcc: Float = 0, minAcc: Float = 0
            let (sc, mn) = q4_KScalesAndMins(scales)
            for group in 0..<4 {
                let q = qs + 32 * group
                let b0 = 8 * sb + 2 * group, b1 = b0 + 1
                let (lo, hi) = q4_KGroup(q, a, b0)
                blockAcc += sc[2 * group] * a.scales[b0] * Float(lo) + sc[2 * group + 1] * a.scales[b1] * Float(hi)
                minAcc += mn[2 * group] * a.sums[b0] + mn[2 * group + 1] * a.sums[b1]
            }
            acc += d * blockAcc - dmin * minAcc
        }
        return acc
    }

    /// The eight 6-bit scales and mins of a Q4_K block's 12 packed bytes as floats, all at once: the values of
    /// `Dequantize.scaleMin(scales, j)` for j < 8 (sub-blocks 0–3 from the low six bits of bytes 0–3 and 4–7,
    /// sub-blocks 4–7 from the nibbles of bytes 8–11 with the top two bits of bytes 0–3 and 4–7).
    ///
    /// Why: decoded one sub-block at a time in scalar code (≈ 25 instructions per 64 weights), the scales were a
    /// large part of the Q4_K kernel; decoded together, the kernel's share of a Qwen decode profile fell from
    /// 10.7 % to 8.8 % (≈ 14 % less time against the planar Q5_0 kernel in the same runs). The same integers give
    /// the same floats, so the bits do not change.
    @inline(__always)
    static func q4_KScalesAndMins(_ scales: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>) {
        let f = scales.loadUnaligned(as: SIMD4<UInt8>.self)                     // bytes 0–3
        let g = scales.loadUnaligned(fromByteOffset: 4, as: SIMD4<UInt8>.self)  // bytes 4–7
        let h = scales.loadUnaligned(fromByteOffset: 8, as: SIMD4<UInt8>.self)  // bytes 8–11
        let six = SIMD4<UInt8>(repeating: 63), low = SIMD4<UInt8>(repeating: 0x0F)
        let s = SIMD8(lowHalf: f & six, highHalf: (h & low) | ((f &>> 6) &<< 4))
        let m = SIMD8(lowHalf: g & six, highHalf: (h &>> 4) | ((g &>> 6) &<< 4))
        return (SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: s)), SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: m)))
    }

    /// Σ q·q_x for one 32-byte group of a Q4_K block: the low nibbles against activation block `block`, the
    /// high nibbles against block `block` + 1.
    @inline(__always)
    static func q4_KGroup(_ q: UnsafePointer<UInt8>, _ a: QuantizedActivation, _ block: Int) -> (Int32, Int32) {
        #if MAGICPIG_AVX512_VNNI
        return q4_KGroupVNNI(q, a, block)
        #else
        let sign = a.signs + 32 * block
        let lo = withSignedBlock { s in
            for j in 0..<32 { s[j] = signed(Int8(bitPattern: q[j] & 0x0F), sign[j]) }
            return bytePairSums(a.magnitudes + 32 * block, s).wrappedSum()
        }
        let hi = withSignedBlock { s in
            for j in 0..<32 { s[j] = signed(Int8(bitPattern: q[j] &>> 4), sign[32 + j]) }
            return bytePairSums(a.magnitudes + 32 * block + 32, s).wrappedSum()
        }
        return (lo, hi)
        #endif
    }

    /// Q6_K: value = d·scale·(q − 32), one signed scale per 16 elements. Element 128h + 32k + l (h < 2, k < 4,
    /// l < 32) takes its low 4 bits from ql[64h + l + 32(k & 1)] (low nibble for k < 2, high otherwise) and its
    /// high 2 bits from qh[32h + l] >> 2k; its scale is sc[8h + l/16 + 2k]. Each k is one 32-byte
    /// block through `q6_KQuarter`, called with a literal k so its shifts are constants (an earlier k-outer loop
    /// with variable byte shifts ran ≈ 2× slower per weight than Q4_K).
    static func q6_K(_ row: UnsafeRawPointer, _ a: QuantizedActivation) -> Float {
        var acc: Float = 0
        for sb in 0 ..< a.count / 256 {
            let block = row + 210 * sb
            let sc = (block + 192).assumingMemoryBound(to: Int8.self)
            var lanes = SIMD8<Float>(), scales = SIMD8<Float>()
            for h in 0..<2 {
                let ql = (block + 64 * h).assumingMemoryBound(to: UInt8.self)
                let qh = (block + 128 + 32 * h).assumingMemoryBound(to: UInt8.self)
                let first = 8 * sb + 4 * h
                let (s0, t0) = q6_KQuarter(ql, qh, 0, a, first)
                let (s1, t1) = q6_KQuarter(ql, qh, 1, a, first + 1)
                let (s2, t2) = q6_KQuarter(ql, qh, 2, a, first + 2)
                let (s3, t3) = q6_KQuarter(ql, qh, 3, a, first + 3)
                // [k0 l<16, k1, k2, k3, k0 l≥16, k1, k2, k3]
                let sums = SIMD8<Int32>(s0 &* Int32(sc[8 * h]), s1 &* Int32(sc[8 * h + 2]),
                                        s2 &* Int32(sc[8 * h + 4]), s3 &* Int32(sc[8 * h + 6]),
                                        t0 &* Int32(sc[8 * h + 1]), t1 &* Int32(sc[8 * h + 3]),
                                        t2 &* Int32(sc[8 * h + 5]), t3 &* Int32(sc[8 * h + 7]))
                for k in 0..<4 {
                    scales[k] = a.scales[first + k]
                    scales[4 + k] = a.scales[first + k]
                }
                var f = SIMD8<Float>()
                for i in 0..<8 { f[i] = Float(sums[i]) }
                lanes += f * scales
            }
            acc += half(block, 208) * lanes.sum()
        }
        return acc
    }

    /// Σ (q − 32)·q_x over the elements 32k + l of one half of a Q6_K block (activation block `block`), for
    /// l < 16 and l ≥ 16 (one scale each); `k` is a literal at every call, so the shifts are constants.
    @inline(__always)
    static func q6_KQuarter(_ ql: UnsafePointer<UInt8>, _ qh: UnsafePointer<UInt8>, _ k: Int,
                            _ a: QuantizedActivation, _ block: Int) -> (Int32, Int32) {
        #if MAGICPIG_AVX512_VNNI
        return q6_KQuarterVNNI(ql, qh, k, a, block)
        #else
        let low = ql + 32 * (k & 1), lowShift = UInt8(4 * (k >> 1)), highShift = UInt8(2 * k)
        let sign = a.signs + 32 * block
        let sums = withSignedBlock { s in
            for l in 0..<32 {
                let q = ((low[l] &>> lowShift) & 0x0F) | ((qh[l] &>> highShift) & 3) &<< 4
                s[l] = signed(Int8(bitPattern: q) &- 32, sign[l])
            }
            return bytePairSums(a.magnitudes + 32 * block, s)
        }
        return (sums.lowHalf.wrappedSum(), sums.highHalf.wrappedSum())
        #endif
    }
}
