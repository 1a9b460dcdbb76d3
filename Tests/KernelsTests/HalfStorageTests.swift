import Testing
@testable import Kernels

/// `Float16.widen` (the vector `fpext` builtin the Float16 K/V loads go through) against the scalar conversion, for
/// every one of the 65 536 half-precision bit patterns, in both the 16- and 8-lane forms and through `load16`/`load8`.
@Suite struct HalfStorageTests {
    /// Equal bits, or both NaN (a NaN's payload may be quietened either way).
    static func same(_ a: Float, _ b: Float) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }

    @Test func widenMatchesTheScalarConversionForEveryHalf() {
        let halves = (0..<65536).map { Float16(bitPattern: UInt16($0)) }
        var mismatches = 0
        halves.withUnsafeBytes { raw in
            let base = raw.baseAddress!
            var i = 0
            while i < halves.count {
                let w16 = Float16.load16(base, i), w8 = Float16.load8(base, i + 8)
                let direct = Float16.widen(SIMD16<Float16>(halves[i..<(i + 16)]))
                for k in 0..<16 {
                    let want = Float(halves[i + k])
                    if !Self.same(w16[k], want) || !Self.same(direct[k], want) { mismatches += 1 }
                }
                for k in 0..<8 where !Self.same(w8[k], Float(halves[i + 8 + k])) { mismatches += 1 }
                i += 16
            }
        }
        #expect(mismatches == 0)
        // Spot values the loop covers, spelled out: ±0, the smallest subnormal, the largest finite, ±∞.
        let spots: [Float16] = [0, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, .infinity, -.infinity, 1.5]
        let w = Float16.widen(SIMD8<Float16>(spots + [0]))
        #expect((0..<7).allSatisfy { w[$0].bitPattern == Float(spots[$0]).bitPattern })
        #expect(w[2] == 5.9604645e-08 && w[3] == 65504)
    }
}
