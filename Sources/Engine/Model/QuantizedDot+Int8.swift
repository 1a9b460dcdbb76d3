/// Integer dot products of quantised weight rows with a `QuantizedActivation`: per 32-element block the
/// products q_w·q_x are summed in Int32, then scaled once by the weight's and the activation's scales.
///
/// The per-block sums are plain loops with constant trip counts over 8-bit values widened to Int32: LLVM turns
/// them into 16-bit multiply-add vector instructions (pmaddwd). A probe on SmolLM2's Q4_1 rows (1536 × 576)
/// ran 0.13 ns per weight against 0.26 for the float kernel (`QuantizedDot.q4_1`); hand-written SIMD16<Int16>
/// versions were slower (LLVM shuffled the nibbles apart). Scales are applied in Float, block by block.
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
            let x = a.quants + 32 * b
            let sums = floats(q8_0Block(w0, x), q8_0Block(w1, x + 32), q8_0Block(w2, x + 64), q8_0Block(w3, x + 96))
            acc += sums * halves(w0, w1, w2, w3, at: 0) * four(a.scales + b)
            b += 4
        }
        var tail: Float = 0
        for b in b..<blocks {
            let block = row + 34 * b
            tail += half(block, 0) * a.scales[b] * Float(q8_0Block(block, a.quants + 32 * b))
        }
        return acc.sum() + tail
    }

    @inline(__always)
    static func q8_0Block(_ block: UnsafeRawPointer, _ x: UnsafePointer<Int8>) -> Int32 {
        let q = (block + 2).assumingMemoryBound(to: Int8.self)
        var s: Int32 = 0
        for j in 0..<32 { s &+= Int32(q[j]) &* Int32(x[j]) }
        return s
    }

    /// Q4_1: value = d·q + m, so a block adds d·d_x·Σ q·q_x + m·Σx; low nibbles are elements 0..<16, high 16..<32.
    static func q4_1(_ row: UnsafeRawPointer, _ a: QuantizedActivation) -> Float {
        let blocks = a.count / 32
        var acc = SIMD4<Float>(), offsets = SIMD4<Float>()
        var b = 0
        while b + 4 <= blocks {
            let w0 = row + 20 * b, w1 = w0 + 20, w2 = w1 + 20, w3 = w2 + 20
            let x = a.quants + 32 * b
            let sums = floats(q4_1Block(w0, x), q4_1Block(w1, x + 32), q4_1Block(w2, x + 64), q4_1Block(w3, x + 96))
            acc += sums * halves(w0, w1, w2, w3, at: 0) * four(a.scales + b)
            offsets += halves(w0, w1, w2, w3, at: 2) * four(a.sums + b)
            b += 4
        }
        var tail: Float = 0
        for b in b..<blocks {
            let block = row + 20 * b
            tail += half(block, 0) * a.scales[b] * Float(q4_1Block(block, a.quants + 32 * b)) + half(block, 2) * a.sums[b]
        }
        return (acc + offsets).sum() + tail
    }

    @inline(__always)
    static func q4_1Block(_ block: UnsafeRawPointer, _ x: UnsafePointer<Int8>) -> Int32 {
        let q = (block + 4).assumingMemoryBound(to: UInt8.self)
        var s: Int32 = 0
        for j in 0..<16 { s &+= Int32(q[j] & 0x0F) &* Int32(x[j]) &+ Int32(q[j] &>> 4) &* Int32(x[j + 16]) }
        return s
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
            let x = a.quants + 32 * b
            let sums = floats(q4_0Block(w0, x), q4_0Block(w1, x + 32), q4_0Block(w2, x + 64), q4_0Block(w3, x + 96))
            acc += sums * halves(w0, w1, w2, w3, at: 0) * four(a.scales + b)
            b += 4
        }
        var tail: Float = 0
        for b in b..<blocks {
            let block = row + 18 * b
            tail += half(block, 0) * a.scales[b] * Float(q4_0Block(block, a.quants + 32 * b))
        }
        return acc.sum() + tail
    }

    @inline(__always)
    static func q4_0Block(_ block: UnsafeRawPointer, _ x: UnsafePointer<Int8>) -> Int32 {
        let q = (block + 2).assumingMemoryBound(to: UInt8.self)
        var s: Int32 = 0
        for j in 0..<16 {
            s &+= (Int32(q[j] & 0x0F) &- 8) &* Int32(x[j]) &+ (Int32(q[j] &>> 4) &- 8) &* Int32(x[j + 16])
        }
        return s
    }

    /// Q5_0: value = d·(q − 16), the fifth bit of element j in bit j of a u32 (Qwen2.5's attention and FFN
    /// gate/up weights).
    static func q5_0(_ row: UnsafeRawPointer, _ a: QuantizedActivation) -> Float {
        let blocks = a.count / 32
        var acc = SIMD4<Float>()
        var b = 0
        while b + 4 <= blocks {
            let w0 = row + 22 * b, w1 = w0 + 22, w2 = w1 + 22, w3 = w2 + 22
            let x = a.quants + 32 * b
            let sums = floats(q5_0Block(w0, x), q5_0Block(w1, x + 32), q5_0Block(w2, x + 64), q5_0Block(w3, x + 96))
            acc += sums * halves(w0, w1, w2, w3, at: 0) * four(a.scales + b)
            b += 4
        }
        var tail: Float = 0
        for b in b..<blocks {
            let block = row + 22 * b
            tail += half(block, 0) * a.scales[b] * Float(q5_0Block(block, a.quants + 32 * b))
        }
        return acc.sum() + tail
    }

    @inline(__always)
    static func q5_0Block(_ block: UnsafeRawPointer, _ x: UnsafePointer<Int8>) -> Int32 {
        // The fifth bits in 16-bit halves, so the shifts stay in the 16-bit lanes the products use
        // (32-bit shifts cost a repacking per block).
        let high = block.loadUnaligned(fromByteOffset: 2, as: UInt32.self)
        let bitsLo = UInt16(truncatingIfNeeded: high), bitsHi = UInt16(truncatingIfNeeded: high &>> 16)
        let q = (block + 6).assumingMemoryBound(to: UInt8.self)
        var s: Int32 = 0
        for j in 0..<16 {
            let lo = Int16(q[j] & 0x0F) | Int16(bitPattern: ((bitsLo &>> UInt16(j)) & 1) &<< 4)
            let hi = Int16(q[j] &>> 4) | Int16(bitPattern: ((bitsHi &>> UInt16(j)) & 1) &<< 4)
            s &+= Int32(lo &- 16) &* Int32(x[j]) &+ Int32(hi &- 16) &* Int32(x[j + 16])
        }
        return s
    }

    /// Q4_K: per 32-element sub-block s, value = d·scale_s·q − dmin·min_s; each sub-block is one activation block.
    static func q4_K(_ row: UnsafeRawPointer, _ a: QuantizedActivation) -> Float {
        var acc: Float = 0
        for sb in 0 ..< a.count / 256 {
            let block = row + 144 * sb
            let d = half(block, 0), dmin = half(block, 2)
            let scales = block + 4, qs = (block + 16).assumingMemoryBound(to: UInt8.self)
            var blockAcc: Float = 0, minAcc: Float = 0
            for group in 0..<4 {
                let (s0, m0) = Dequantize.scaleMin(scales, 2 * group)
                let (s1, m1) = Dequantize.scaleMin(scales, 2 * group + 1)
                let q = qs + 32 * group
                let b0 = 8 * sb + 2 * group, b1 = b0 + 1
                let x0 = a.quants + 32 * b0, x1 = a.quants + 32 * b1
                var lo: Int32 = 0, hi: Int32 = 0
                for j in 0..<32 {
                    lo &+= Int32(q[j] & 0x0F) &* Int32(x0[j])
                    hi &+= Int32(q[j] &>> 4) &* Int32(x1[j])
                }
                blockAcc += Float(s0) * a.scales[b0] * Float(lo) + Float(s1) * a.scales[b1] * Float(hi)
                minAcc += Float(m0) * a.sums[b0] + Float(m1) * a.sums[b1]
            }
            acc += d * blockAcc - dmin * minAcc
        }
        return acc
    }

    /// Q6_K: value = d·scale·(q − 32), one signed scale per 16 elements. Element 128h + 32k + l (h < 2, k < 4,
    /// l < 32) takes its low 4 bits from ql[64h + l + 32(k & 1)] (low nibble for k < 2, high otherwise) and its
    /// high 2 bits from qh[32h + l] >> 2k; its scale is sc[8h + l/16 + 2k]. The four k share one pass over l
    /// with constant shifts and four independent sums (a k-outer loop with variable byte shifts ran ≈ 2× slower
    /// per weight than Q4_K).
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
                let x = a.quants + 32 * first
                var sums = SIMD8<Int32>()       // [k0 l<16, k1, k2, k3, k0 l≥16, k1, k2, k3]
                for part in 0..<2 {
                    var s0: Int32 = 0, s1: Int32 = 0, s2: Int32 = 0, s3: Int32 = 0
                    for l in (16 * part) ..< (16 * part + 16) {
                        let lo = ql[l], hi = ql[l + 32], bits = qh[l]
                        s0 &+= (Int32((lo & 0x0F) | (bits & 3) &<< 4) &- 32) &* Int32(x[l])
                        s1 &+= (Int32((hi & 0x0F) | ((bits &>> 2) & 3) &<< 4) &- 32) &* Int32(x[32 + l])
                        s2 &+= (Int32((lo &>> 4) | ((bits &>> 4) & 3) &<< 4) &- 32) &* Int32(x[64 + l])
                        s3 &+= (Int32((hi &>> 4) | (bits &>> 6) &<< 4) &- 32) &* Int32(x[96 + l])
                    }
                    sums[4 * part] = s0 &* Int32(sc[8 * h + part])
                    sums[4 * part + 1] = s1 &* Int32(sc[8 * h + part + 2])
                    sums[4 * part + 2] = s2 &* Int32(sc[8 * h + part + 4])
                    sums[4 * part + 3] = s3 &* Int32(sc[8 * h + part + 6])
                }
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
}
