import Foundation
import Testing
@testable import Kernels

private func randomFloats(_ n: Int, seed: UInt64) -> [Float] {
    var g = SeededGenerator(seed: seed)
    return g.gaussians(n)
}

private func naiveSoftmax(_ x: [Float]) -> (p: [Double], lse: Double) {
    let m = x.map(Double.init).max() ?? -.infinity
    let e = x.map { exp(Double($0) - m) }
    let s = e.reduce(0, +)
    return (e.map { $0 / s }, m + log(s))
}

@Suite struct VectorTests {
    @Test(arguments: [0, 1, 7, 15, 16, 17, 31, 32, 33, 48, 100, 129])
    func dotMatchesNaive(n: Int) {
        let a = randomFloats(n, seed: 1), b = randomFloats(n, seed: 2)
        let naive = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let simd = a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
            Vector.dot(pa.baseAddress ?? UnsafePointer(bitPattern: 8)!, pb.baseAddress ?? UnsafePointer(bitPattern: 8)!, count: n) } }
        #expect(abs(Double(simd) - naive) <= 1e-4 * max(1, Double(n).squareRoot()))
    }

    @Test(arguments: [1, 15, 16, 17, 33, 100])
    func axpyMatchesNaive(n: Int) {
        let x = randomFloats(n, seed: 3)
        var y = randomFloats(n, seed: 4)
        let expected = zip(x, y).map { 0.75 * $0 + $1 }
        y.withUnsafeMutableBufferPointer { py in x.withUnsafeBufferPointer { px in
            Vector.axpy(0.75, px.baseAddress!, py.baseAddress!, count: n) } }
        for i in 0..<n { #expect(abs(y[i] - expected[i]) <= 1e-6) }
    }

    @Test func normIsSquareRootOfDot() {
        let x: [Float] = [3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12]
        #expect(x.withUnsafeBufferPointer { Vector.norm($0.baseAddress!, count: x.count) } == 13)
    }
}

@Suite struct SoftmaxTests {
    @Test(arguments: [1, 5, 64, 300])
    func softmaxAndLogSumExpMatchDouble(n: Int) {
        let x = randomFloats(n, seed: UInt64(n)).map { $0 * 6 }
        let (p, lse) = Softmax.of(x)
        let ref = naiveSoftmax(x)
        #expect(abs(Double(lse) - ref.lse) < 1e-4)
        #expect(abs(Double(x.withUnsafeBufferPointer { Softmax.logSumExp($0.baseAddress!, count: n) }) - ref.lse) < 1e-4)
        for i in 0..<n { #expect(abs(Double(p[i]) - ref.p[i]) < 1e-5) }
        #expect(abs(p.reduce(0, +) - 1) < 1e-5)
    }

    @Test func emptySoftmaxHasMinusInfinityLogSumExp() {
        #expect(Softmax.of([]).logSumExp == -.infinity)
    }

    @Test func largeLogitsDoNotOverflow() {
        let (p, lse) = Softmax.of([1000, 1000])
        #expect(p == [0.5, 0.5])
        #expect(abs(lse - (1000 + logf(2))) < 1e-3)
    }

    /// Attention over A ∪ B equals the log-sum-exp merge of attention over A and over B.
    @Test func mergeOfDisjointPartsEqualsJointSoftmax() {
        let n = 40, d = 5, split = 13
        let logits = randomFloats(n, seed: 11).map { $0 * 3 }
        let values = randomFloats(n * d, seed: 12)
        func attend(_ r: Range<Int>) -> ([Float], Float) {
            let (p, lse) = Softmax.of(Array(logits[r]))
            var o = [Float](repeating: 0, count: d)
            for (k, i) in r.enumerated() { for j in 0..<d { o[j] += p[k] * values[i * d + j] } }
            return (o, lse)
        }
        let (a, la) = attend(0..<split), (b, lb) = attend(split..<n), (joint, lj) = attend(0..<n)
        let merged = Softmax.merge(a, logSumExp: la, b, logSumExp: lb)
        #expect(abs(merged.logSumExp - lj) < 1e-5)
        for j in 0..<d { #expect(abs(merged.output[j] - joint[j]) < 1e-5) }
        // A part with no keys has weight zero.
        let withEmpty = Softmax.merge(joint, logSumExp: lj, [Float](repeating: 9, count: d), logSumExp: -.infinity)
        #expect(withEmpty.output == joint && withEmpty.logSumExp == lj)
    }
}

@Suite struct SelectionTests {
    @Test(arguments: [0, 1, 5, 50, 199, 200, 250])
    func topKEqualsSortPrefix(k: Int) {
        var x = randomFloats(200, seed: 21)
        x[7] = x[100]  // a tie: the lower index wins
        let got = x.withUnsafeBufferPointer { Selection.topK($0, k: k) }.sorted()
        let expected = (0..<200).sorted { x[$0] > x[$1] || (x[$0] == x[$1] && $0 < $1) }
            .prefix(min(k, 200)).map { Int32($0) }.sorted()
        #expect(got == expected)
    }
}

@Suite struct RandomTests {
    @Test func sameSeedSameStreamIsDeterministic() {
        var a = SeededGenerator(seed: 42, stream: [3, 1]), b = SeededGenerator(seed: 42, stream: [3, 1])
        for _ in 0..<100 { #expect(a.next() == b.next()) }
    }

    @Test func differentSeedsOrStreamsDiffer() {
        var a = SeededGenerator(seed: 42, stream: [3, 1]), b = SeededGenerator(seed: 42, stream: [1, 3])
        var c = SeededGenerator(seed: 43, stream: [3, 1])
        let xa = (0..<8).map { _ in a.next() }, xb = (0..<8).map { _ in b.next() }, xc = (0..<8).map { _ in c.next() }
        #expect(xa != xb && xa != xc)
    }

    @Test func uniformsAndGaussiansHaveTheRightMoments() {
        var g = SeededGenerator(seed: 7)
        let u = (0..<20000).map { _ in g.nextUniform() }
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(abs(u.reduce(0, +) / 20000 - 0.5) < 0.01)
        let z = (0..<20000).map { _ in g.nextGaussian() }
        let mean = z.reduce(0, +) / 20000
        let variance = z.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20000
        #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.05)
    }
}

/// The kernels' scratch and large arrays start on cache lines (their vector loads and stores would straddle two
/// lines otherwise; docs/cpu-kernels.md), and huge-page-sized arrays on 2 MiB.
@Suite struct AllocationTests {
    @Test(arguments: [0, 1, 3, 16, 100, 4097, 300_000])
    func scratchStartsOnACacheLine(count: Int) {
        // Several at once, so they are not all the same recycled block.
        let floats = (0..<4).map { _ in UnsafeMutablePointer<Float>.allocateLines(count) }
        let words = UnsafeMutablePointer<UInt32>.allocateLines(count)
        for p in floats { #expect(Int(bitPattern: p) % 64 == 0) }
        #expect(Int(bitPattern: words) % 64 == 0)
        if count > 0 { floats[0][count - 1] = 1; #expect(floats[0][count - 1] == 1) }
        floats.forEach { $0.deallocate() }
        words.deallocate()
    }

    @Test func largeAllocationsStartOnHugePages() {
        let small = LargeAllocation.allocate(byteCount: 1000), large = LargeAllocation.allocate(byteCount: 3 << 20)
        #expect(Int(bitPattern: small) % 64 == 0)
        #expect(Int(bitPattern: large) % LargeAllocation.hugePageBytes == 0)
        small.deallocate()
        large.deallocate()
    }
}
