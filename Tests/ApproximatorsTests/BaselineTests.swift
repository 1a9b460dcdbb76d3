import Foundation
import Testing
@testable import Approximators
import Kernels

@Suite struct ExactTests {
    @Test func exactEqualsNaiveDoubleSoftmax() {
        let d = 24, n = 150
        let keys = randomRows(n, d, seed: 1, offset: 0.2), values = randomRows(n, d, seed: 2)
        let head = ExactAttention().prepare(cache: HeadCache(headDim: d, keys: keys, values: values), context: context())
        let q = randomRows(1, d, seed: 3, scale: 2)
        let r = head.attend(query: q, recordWeights: true)
        let ref = naiveAttention(query: q, keys: keys, values: values, dim: d, rows: Array(0..<n))
        #expect(maxAbsDifference(r.output, ref.output) < 1e-5)
        #expect(abs(Double(r.logSumExp) - ref.lse) < 1e-4)
    }

    /// Exact attention over two disjoint halves, merged by log-sum-exp, equals the joint softmax.
    @Test func mergingPartialResultsEqualsJointAttention() {
        let d = 16, n = 90, split = 37
        let keys = randomRows(n, d, seed: 4), values = randomRows(n, d, seed: 5)
        let q = randomRows(1, d, seed: 6, scale: 2)
        func part(_ r: Range<Int>) -> AttentionResult {
            ExactAttention().prepare(cache: HeadCache(headDim: d, keys: Array(keys[(r.lowerBound * d)..<(r.upperBound * d)]),
                                                      values: Array(values[(r.lowerBound * d)..<(r.upperBound * d)])),
                                     context: context()).attend(query: q, recordWeights: false)
        }
        let a = part(0..<split), b = part(split..<n)
        let merged = Softmax.merge(a.output, logSumExp: a.logSumExp, b.output, logSumExp: b.logSumExp)
        let ref = naiveAttention(query: q, keys: keys, values: values, dim: d, rows: Array(0..<n))
        #expect(maxAbsDifference(merged.output, ref.output) < 1e-5)
        #expect(abs(Double(merged.logSumExp) - ref.lse) < 1e-4)
    }
}

@Suite struct TopKTests {
    let d = 16, n = 200
    var keys: [Float] { randomRows(n, d, seed: 11) }
    var values: [Float] { randomRows(n, d, seed: 12) }

    @Test func fullBudgetIsExact() throws {
        let cache = HeadCache(headDim: d, keys: keys, values: values)
        let q = randomRows(1, d, seed: 13)
        let exact = ExactAttention().prepare(cache: cache, context: context()).attend(query: q, recordWeights: false)
        let topk = try TopK(budget: .fraction(1)).prepare(cache: cache, context: context()).attend(query: q, recordWeights: false)
        for j in 0..<d { #expect(abs(topk.output[j] - exact.output[j]) < 1e-6) }
        #expect(abs(topk.logSumExp - exact.logSumExp) < 1e-5)
        #expect(topk.cost.costFraction == 1 && topk.cost.keysAttended == n)
    }

    @Test(arguments: [0.01, 0.05, 0.1, 0.33])
    func keepsExactlyTheKLargestScores(budget: Double) throws {
        let keys = keys, values = values
        let head = try TopK(budget: .fraction(budget)).prepare(cache: HeadCache(headDim: d, keys: keys, values: values),
                                                               context: context())
        let q = randomRows(1, d, seed: 14)
        let r = head.attend(query: q, recordWeights: true)
        let k = max(1, Int(budget * Double(n)))
        let scores = (0..<n).map { i in (0..<d).reduce(Float(0)) { $0 + q[$1] * keys[i * d + $1] } }
        let expected = (0..<n).sorted { scores[$0] > scores[$1] }.prefix(k).sorted()
        let weights = try #require(r.weights)
        #expect(weights.indices.map(Int.init) == Array(expected))
        let ref = naiveAttention(query: q, keys: keys, values: values, dim: d, rows: Array(expected))
        #expect(maxAbsDifference(r.output, ref.output) < 1e-5)
        #expect(abs(Double(r.logSumExp) - ref.lse) < 1e-4)
        #expect(r.cost.keysAttended == k && r.cost.keysScored == n)
        #expect(r.cost.costFraction == Double(k) / Double(n))
    }

    @Test func staticSetIsAlwaysKeptAndGeneratedTokensAttended() throws {
        let keys = keys, values = values
        let head = try TopK(budget: .count(3), static: true).prepare(
            cache: HeadCache(headDim: d, keys: Array(keys[0..<(190 * d)]), values: Array(values[0..<(190 * d)])),
            context: context(sink: 4, local: 16))
        for t in 190..<n {
            head.append(key: Array(keys[(t * d)..<((t + 1) * d)]), value: Array(values[(t * d)..<((t + 1) * d)]))
        }
        let r = head.attend(query: randomRows(1, d, seed: 15), recordWeights: true)
        let kept = Set(try #require(r.weights).indices.map(Int.init))
        #expect(kept.isSuperset(of: Set(0..<4).union(174..<n)))
        #expect(kept.count == 4 + 16 + 10 + 3)
    }
}

@Suite struct OracleSamplingTests {
    let d = 8, n = 120

    func setUp() -> (HeadCache, [Float], [Double]) {
        let keys = randomRows(n, d, seed: 21), values = randomRows(n, d, seed: 22)
        let q = randomRows(1, d, seed: 23, scale: 3)
        let exact = naiveAttention(query: q, keys: keys, values: values, dim: d, rows: Array(0..<n))
        return (HeadCache(headDim: d, keys: keys, values: values), q, exact.output)
    }

    /// Unbiased: the average over seeds converges to exact attention.
    @Test func averageOverSeedsConvergesToExact() throws {
        let (cache, q, exact) = setUp()
        let oracle = try OracleSampling(budget: .fraction(0.05))
        func error(seeds: Int) -> Double {
            var mean = [Double](repeating: 0, count: d)
            for s in 0..<seeds {
                let r = oracle.prepare(cache: cache, context: context(seed: UInt64(s))).attend(query: q, recordWeights: false)
                for j in 0..<d { mean[j] += Double(r.output[j]) / Double(seeds) }
            }
            return norm(zip(mean, exact).map { $0 - $1 })
        }
        let e4 = error(seeds: 4), e64 = error(seeds: 64), e1024 = error(seeds: 1024)
        #expect(e64 < e4 && e1024 < e64)
        #expect(e1024 < 0.05 * norm(exact) + 0.02)
    }

    @Test func accountingAndWeights() throws {
        let (cache, q, _) = setUp()
        let r = try OracleSampling(budget: .fraction(0.1)).prepare(cache: cache, context: context())
            .attend(query: q, recordWeights: true)
        let w = try #require(r.weights)
        #expect(r.cost.sampled == 12)
        #expect(r.cost.keysAttended == w.indices.count && r.cost.keysScored == n)
        #expect(r.cost.costFraction == Double(w.indices.count) / Double(n))
        #expect(abs(w.weights.reduce(0, +) - 1) < 1e-5)
        #expect(w.weights.allSatisfy { ($0 * 12).rounded() == $0 * 12 })  // counts / m
        var fromWeights = [Float](repeating: 0, count: d)
        for (i, x) in zip(w.indices, w.weights) { for j in 0..<d { fromWeights[j] += x * cache.values[Int(i) * d + j] } }
        for j in 0..<d { #expect(abs(fromWeights[j] - r.output[j]) < 1e-5) }
        let exact = naiveAttention(query: q, keys: cache.keys, values: cache.values, dim: d, rows: Array(0..<n))
        #expect(abs(Double(r.logSumExp) - exact.lse) < 1e-4)
    }

    @Test func determinismSameSeedSameOutputDifferentSeedDifferent() throws {
        let (cache, q, _) = setUp()
        let oracle = try OracleSampling(budget: .fraction(0.05))
        let a = oracle.prepare(cache: cache, context: context(seed: 5))
        let b = oracle.prepare(cache: cache, context: context(seed: 5))
        let c = oracle.prepare(cache: cache, context: context(seed: 6))
        let ra = (0..<3).map { _ in a.attend(query: q, recordWeights: true).output }
        let rb = (0..<3).map { _ in b.attend(query: q, recordWeights: true).output }
        let rc = (0..<3).map { _ in c.attend(query: q, recordWeights: true).output }
        #expect(ra == rb)
        #expect(ra != rc)
        #expect(ra[0] != ra[1] || ra[1] != ra[2], "sequential attends draw fresh samples")
    }

    /// static: sink/local/generated exact, the middle sampled; the merge weights sum to 1 and the
    /// lse is the exact joint lse.
    @Test func staticVariantMergesExactStaticPart() throws {
        let (cache, q, _) = setUp()
        let r = try OracleSampling(budget: .fraction(0.05), static: true)
            .prepare(cache: cache, context: context(sink: 4, local: 16)).attend(query: q, recordWeights: true)
        let w = try #require(r.weights)
        #expect(Set(w.indices.map(Int.init)).isSuperset(of: Set(0..<4).union(104..<n)))
        #expect(abs(w.weights.reduce(0, +) - 1) < 1e-5)
        let exact = naiveAttention(query: q, keys: cache.keys, values: cache.values, dim: d, rows: Array(0..<n))
        #expect(abs(Double(r.logSumExp) - exact.lse) < 1e-4)
        var fromWeights = [Float](repeating: 0, count: d)
        for (i, x) in zip(w.indices, w.weights) { for j in 0..<d { fromWeights[j] += x * cache.values[Int(i) * d + j] } }
        for j in 0..<d { #expect(abs(fromWeights[j] - r.output[j]) < 1e-5) }
    }
}

@Suite struct StreamingLLMTests {
    @Test func attendsExactlyTheStaticSet() throws {
        let d = 8, n0 = 60
        let keys = randomRows(n0 + 2, d, seed: 31), values = randomRows(n0 + 2, d, seed: 32)
        let head = try ApproximatorRegistry.make("streaming_llm").prepare(
            cache: HeadCache(headDim: d, keys: Array(keys[0..<(n0 * d)]), values: Array(values[0..<(n0 * d)])),
            context: context(sink: 4, local: 10))
        for t in n0..<(n0 + 2) {
            head.append(key: Array(keys[(t * d)..<((t + 1) * d)]), value: Array(values[(t * d)..<((t + 1) * d)]))
        }
        let q = randomRows(1, d, seed: 33)
        let r = head.attend(query: q, recordWeights: true)
        let rows = Array(0..<4) + Array(50..<(n0 + 2))
        let ref = naiveAttention(query: q, keys: keys, values: values, dim: d, rows: rows)
        #expect(try #require(r.weights).indices.map(Int.init) == rows)
        #expect(maxAbsDifference(r.output, ref.output) < 1e-5)
        #expect(abs(Double(r.logSumExp) - ref.lse) < 1e-4)
        #expect(r.cost.keysAttended == rows.count && r.cost.costFraction == Double(rows.count) / Double(n0 + 2))
    }
}
