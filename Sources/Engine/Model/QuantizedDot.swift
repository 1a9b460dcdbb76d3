import Kernels

/// Fused dequantise·dot kernels: Σ_j w[j]·x[j] for one quantised weight row, reading the blocks directly
/// (no float copy of the weights), with SIMD accumulators.
///
/// Each block's contribution is d·Σ q·x (+ m·Σ x for the offset types), so the per-element work is an
/// integer-to-float conversion and one multiply-add; the scales are applied once per block or sub-block.
/// Sums are in a different order from dequantise-then-dot, so results agree with it to rounding, not bits.
enum QuantizedDot {
    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    @inline(__always)
    static func x16(_ x: UnsafePointer<Float>, _ i: Int) -> SIMD16<Float> {
        UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
    }

    // Lane-wise conversions written as loops: the generic SIMD initialisers (`SIMD16<Int32>(truncatingIfNeeded:)`,
    // `SIMD16<Float>(_:)`) compiled to out-of-line calls with the vectors spilled to the stack, and Q4_1 decode
    // spent most of its time there; LLVM vectorises these loops (≈3× faster in a probe, native target).
    @inline(__always)
    static func float(_ v: SIMD16<UInt8>) -> SIMD16<Float> {
        var r = SIMD16<Float>()
        for i in 0..<16 { r[i] = Float(v[i]) }
        return r
    }

    @inline(__always)
    static func float(_ v: SIMD16<Int8>) -> SIMD16<Float> {
        var r = SIMD16<Float>()
        for i in 0..<16 { r[i] = Float(v[i]) }
        return r
    }

    @inline(__always)
    static func float(_ v: SIMD16<Int32>) -> SIMD16<Float> {
        var r = SIMD16<Float>()
        for i in 0..<16 { r[i] = Float(v[i]) }
        return r
    }

    @inline(__always)
    static func int32(_ v: SIMD16<UInt8>) -> SIMD16<Int32> {
        var r = SIMD16<Int32>()
        for i in 0..<16 { r[i] = Int32(v[i]) }
        return r
    }

    @inline(__always)
    static func int32(_ v: SIMD16<UInt32>) -> SIMD16<Int32> {
        var r = SIMD16<Int32>()
        for i in 0..<16 { r[i] = Int32(bitPattern: v[i]) }
        return r
    }

    /// Whether `dot` has a fused kernel for the type (others go through a dequantised row).
    static func isFused(_ type: GGMLType) -> Bool {
        switch type {
        case .f32, .q8_0, .q4_0, .q4_1, .q5_0, .q4_K, .q6_K: return true
        default: return false
        }
    }

    /// Σ w·x over `count` elements of a row starting at `row` (count a multiple of the block size).
    @inline(__always)
    static func dot(_ type: GGMLType, _ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float {
        switch type {
        case .f32: return Vector.dot(row.assumingMemoryBound(to: Float.self), x, count: count)
        case .q8_0: return q8_0(row, x, count)
        case .q4_0: return q4_0(row, x, count)
        case .q4_1: return q4_1(row, x, count)
        case .q5_0: return q5_0(row, x, count)
        case .q4_K: return q4_K(row, x, count)
        case .q6_K: return q6_K(row, x, count)
        default: preconditionFailure("no fused kernel for \(type)")
        }
    }

    static func q8_0(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD16<Float>()
        var block = row
        for i in stride(from: 0, to: count, by: 32) {
            let d = half(block, 0)
            let q0 = float(block.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self))
            let q1 = float(block.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self))
            acc += (q0 * x16(x, i) + q1 * x16(x, i + 16)) * d
            block += 34
        }
        return acc.sum()
    }

    static func q4_0(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD16<Float>()
        var block = row
        let eight = SIMD16<Float>(repeating: 8)
        for i in stride(from: 0, to: count, by: 32) {
            let d = half(block, 0)
            let q = block.loadUnaligned(fromByteOffset: 2, as: SIMD16<UInt8>.self)
            let lo = float(q & 0x0F) - eight, hi = float(q &>> 4) - eight
            acc += (lo * x16(x, i) + hi * x16(x, i + 16)) * d
            block += 18
        }
        return acc.sum()
    }

    /// Q4_1: value = d·q + m, so a block adds d·Σ q·x + m·Σ x.
    static func q4_1(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD16<Float>()
        var block = row
        for i in stride(from: 0, to: count, by: 32) {
            let d = half(block, 0), m = half(block, 2)
            let q = block.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self)
            let x0 = x16(x, i), x1 = x16(x, i + 16)
            acc += (float(q & 0x0F) * x0 + float(q &>> 4) * x1) * d + (x0 + x1) * m
            block += 20
        }
        return acc.sum()
    }

    static let bitShifts = SIMD16<UInt32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

    /// Q5_0: value = d·(q − 16), the fifth bit of element j in bit j of a u32.
    static func q5_0(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD16<Float>()
        var block = row
        let sixteen = SIMD16<Int32>(repeating: 16)
        for i in stride(from: 0, to: count, by: 32) {
            let d = half(block, 0)
            let high = SIMD16<UInt32>(repeating: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            let q = int32(block.loadUnaligned(fromByteOffset: 6, as: SIMD16<UInt8>.self))
            let h0 = int32((high &>> bitShifts) & 1) &<< 4
            let h1 = int32((high &>> (bitShifts &+ 16)) & 1) &<< 4
            let lo = float(((q & 0x0F) | h0) &- sixteen)
            let hi = float(((q &>> 4) | h1) &- sixteen)
            acc += (lo * x16(x, i) + hi * x16(x, i + 16)) * d
            block += 22
        }
        return acc.sum()
    }

    /// Q4_K: per 32-element sub-block s, value = d·scale_s·q − dmin·min_s.
    static func q4_K(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var total: Float = 0
        var block = row
        for i in stride(from: 0, to: count, by: 256) {
            let d = half(block, 0), dmin = half(block, 2)
            let scales = block + 4, qs = block + 16
            var blockAcc = SIMD16<Float>(), minAcc = SIMD16<Float>()
            for group in 0 ..< 4 {
                let (s0, m0) = Dequantize.scaleMin(scales, 2 * group)
                let (s1, m1) = Dequantize.scaleMin(scales, 2 * group + 1)
                let qa = qs.loadUnaligned(fromByteOffset: 32 * group, as: SIMD16<UInt8>.self)
                let qb = qs.loadUnaligned(fromByteOffset: 32 * group + 16, as: SIMD16<UInt8>.self)
                let base = i + 64 * group
                let xa0 = x16(x, base), xa1 = x16(x, base + 16), xb0 = x16(x, base + 32), xb1 = x16(x, base + 48)
                let lo = float(qa & 0x0F) * xa0 + float(qb & 0x0F) * xa1
                let hi = float(qa &>> 4) * xb0 + float(qb &>> 4) * xb1
                blockAcc += lo * Float(s0) + hi * Float(s1)
                minAcc += (xa0 + xa1) * Float(m0) + (xb0 + xb1) * Float(m1)
            }
            total += d * blockAcc.sum() - dmin * minAcc.sum()
            block += 144
        }
        return total
    }

    /// Q6_K: value = d·scale·(q − 32), one signed scale per 16 elements.
    static func q6_K(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, _ count: Int) -> Float {
        var total: Float = 0
        var block = row
        let thirtyTwo = SIMD16<Int32>(repeating: 32)
        for i in stride(from: 0, to: count, by: 256) {
            let d = half(block, 208)
            var acc = SIMD16<Float>()
            for h in 0 ..< 2 {
                let ql = block + 64 * h, qh = block + 128 + 32 * h, sc = block + 192 + 8 * h
                for l0 in stride(from: 0, to: 32, by: 16) {
                    let a = int32(ql.loadUnaligned(fromByteOffset: l0, as: SIMD16<UInt8>.self))
                    let b = int32(ql.loadUnaligned(fromByteOffset: l0 + 32, as: SIMD16<UInt8>.self))
                    let hb = int32(qh.loadUnaligned(fromByteOffset: l0, as: SIMD16<UInt8>.self))
                    let q0 = float(((a & 0x0F) | (hb & 3) &<< 4) &- thirtyTwo)
                    let q1 = float(((b & 0x0F) | ((hb &>> 2) & 3) &<< 4) &- thirtyTwo)
                    let q2 = float(((a &>> 4) | ((hb &>> 4) & 3) &<< 4) &- thirtyTwo)
                    let q3 = float(((b &>> 4) | ((hb &>> 6) & 3) &<< 4) &- thirtyTwo)
                    let s = l0 / 16
                    let base = i + 128 * h + l0
                    func scale(_ k: Int) -> Float { Float(sc.load(fromByteOffset: s + 2 * k, as: Int8.self)) }
                    acc += q0 * x16(x, base) * scale(0) + q1 * x16(x, base + 32) * scale(1)
                        + q2 * x16(x, base + 64) * scale(2) + q3 * x16(x, base + 96) * scale(3)
                }
            }
            total += d * acc.sum()
            block += 210
        }
        return total
    }
}
