import Foundation
import Testing
@testable import Kernels

private func gaussians(_ n: Int, seed: UInt64) -> [Float] {
    var g = SeededGenerator(seed: seed)
    return g.gaussians(n)
}

@Suite struct MatrixProductTests {
    /// Sizes around the 6-row tile and the 8/16-column panels, including 1×1 and k = 0.
    @Test(arguments: [(1, 1, 1), (5, 7, 3), (6, 8, 64), (7, 17, 64), (13, 1500, 64), (12, 23, 5), (3, 9, 0)])
    func matchesNaiveTripleLoop(m: Int, n: Int, k: Int) {
        let a = gaussians(m * k, seed: 11), b = gaussians(k * n, seed: 12)
        var c = [Float](repeating: .nan, count: m * n)
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            MatrixProduct.multiply(pa.baseAddress ?? UnsafePointer(bitPattern: 8)!, pb.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                                   into: pc.baseAddress!, m: m, n: n, k: k)
        } } }
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += Double(a[i * k + p]) * Double(b[p * n + j]) }
                #expect(abs(Double(c[i * n + j]) - s) <= 1e-5 * Double(max(k, 1)), "C[\(i), \(j)] of \(m)×\(n)×\(k)")
            }
        }
    }

    /// B's panels packed once give the bits of the product that packs them per call, for rows in six-row tiles
    /// and after them, whole panels and the columns past them.
    @Test(arguments: [(1, 16, 8), (5, 37, 64), (6, 1500, 128), (13, 1500, 64), (32, 48, 3), (7, 15, 5)])
    func packedPanelsGiveTheSameBits(m: Int, n: Int, k: Int) {
        let a = gaussians(m * k, seed: 21), b = gaussians(k * n, seed: 22)
        var plain = [Float](repeating: .nan, count: m * n), packed = plain
        let panels = b.withUnsafeBufferPointer { MatrixProduct.packPanels($0.baseAddress!, n: n, k: k) }
        #expect(panels.count == (n / 16) * k * 16)
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in panels.withUnsafeBufferPointer { pp in
            plain.withUnsafeMutableBufferPointer { MatrixProduct.multiply(pa.baseAddress!, pb.baseAddress!, into: $0.baseAddress!, m: m, n: n, k: k) }
            packed.withUnsafeMutableBufferPointer {
                MatrixProduct.multiply(pa.baseAddress!, pb.baseAddress!, panels: pp.baseAddress, into: $0.baseAddress!, m: m, n: n, k: k)
            }
        } } }
        #expect(packed.map(\.bitPattern) == plain.map(\.bitPattern))
        #expect(!packed.contains { $0.isNaN })
    }

    @Test func rowDoesNotDependOnBlock() {
        // SimHash relies on a key's signs being the same whichever block it is hashed in.
        let m = 13, n = 37, k = 64
        let a = gaussians(m * k, seed: 13), b = gaussians(k * n, seed: 14)
        var all = [Float](repeating: 0, count: m * n), one = [Float](repeating: 0, count: n)
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
            all.withUnsafeMutableBufferPointer { MatrixProduct.multiply(pa.baseAddress!, pb.baseAddress!, into: $0.baseAddress!, m: m, n: n, k: k) }
            for i in 0..<m {
                one.withUnsafeMutableBufferPointer { MatrixProduct.multiply(pa.baseAddress! + i * k, pb.baseAddress!, into: $0.baseAddress!, m: 1, n: n, k: k) }
                #expect(Array(all[(i * n)..<((i + 1) * n)]) == one, "row \(i)")
            }
        } }
    }
}

@Suite struct ExpTests {
    @Test func matchesFoundationExp() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88.7 {
            let v = Exp.exp(SIMD16<Float>(repeating: x))
            let e = Foundation.exp(x)
            worst = max(worst, abs(v[5] - e) / e)
            x += 0.0137
        }
        #expect(worst < 3e-7, "worst relative error \(worst)")
    }

    @Test func specialValues() {
        var lanes = SIMD16<Float>(repeating: 0)
        lanes[1] = -.infinity; lanes[2] = -1000; lanes[3] = -103.9; lanes[4] = -100; lanes[5] = 89.5
        lanes[6] = .infinity; lanes[7] = 1; lanes[8] = -1e-8
        let v = Exp.exp(lanes)
        #expect(v[0] == 1)
        #expect(v[1] == 0)
        #expect(v[2] == 0)
        #expect(abs(v[3] - Foundation.exp(Float(-103.9))) <= Float.leastNonzeroMagnitude)
        #expect(abs(v[4] - Foundation.exp(Float(-100))) <= Float.leastNonzeroMagnitude)  // subnormal, as expf
        #expect(v[5] == .infinity && v[6] == .infinity)
        #expect(abs(v[7] - Float(M_E)) <= 1e-6)
        #expect(abs(v[8] - 1) <= 1e-7)
    }

    @Test(arguments: [1, 15, 16, 17, 40])
    func bufferFormSumsAndHandlesTail(n: Int) {
        var x = gaussians(n, seed: 21).map { $0 * 10 }
        x[0] = -.infinity
        var out = [Float](repeating: .nan, count: n)
        let sum = x.withUnsafeBufferPointer { px in out.withUnsafeMutableBufferPointer { Exp.exp(px.baseAddress!, into: $0.baseAddress!, count: n) } }
        for i in 0..<n { #expect(abs(out[i] - Foundation.exp(x[i])) <= 3e-7 * Foundation.exp(x[i]), "element \(i)") }
        #expect(abs(Double(sum) - x.reduce(0) { $0 + Foundation.exp(Double($1)) }) <= 1e-5 * Double(sum))
    }

    @Test func bitMinMax() {
        var a = SIMD16<Float>(repeating: 1), b = SIMD16<Float>(repeating: 2)
        a[1] = -.infinity; b[1] = -.infinity; a[2] = .infinity; a[3] = -3; b[3] = -.infinity
        let mx = SIMDBits.max(a, b), mn = SIMDBits.min(a, b)
        #expect(mx[0] == 2 && mn[0] == 1)
        #expect(mx[1] == -.infinity && mn[1] == -.infinity)
        #expect(mx[2] == .infinity && mn[2] == 2)
        #expect(mx[3] == -3 && mn[3] == -.infinity)
    }
}
