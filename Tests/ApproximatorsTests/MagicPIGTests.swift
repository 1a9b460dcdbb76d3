import Foundation
import Testing
@testable import Approximators
import Kernels

/// MagicPIG against a direct transcription of shared/reference/magicpig.md in Double.
@Suite struct MagicPIGTests {
    struct Case: CustomStringConvertible {
        var K: Int, L: Int, threshold: Int, centering: Bool, generated: Int
        var description: String { "K\(K) L\(L) t\(threshold) centring \(centering) gen \(generated)" }
    }

    /// Brute force: centre, hash everything with explicit dot products, count collisions per key.
    static func bruteForce(query q: [Float], keys: [Float], values: [Float], dim d: Int, promptLength n0: Int,
                           sink: Int, local: Int, w: [Float], K: Int, L: Int, threshold: Int,
                           centering: Bool) -> (output: [Double], lse: Double, sampled: [Int]) {
        let n = keys.count / d
        let sinkEnd = min(sink, n0), localStart = max(sinkEnd, n0 - local)
        let middle = Array(sinkEnd..<localStart)
        var mean = [Double](repeating: 0, count: d)
        if centering && !middle.isEmpty {
            for i in middle { for j in 0..<d { mean[j] += Double(keys[i * d + j]) / Double(middle.count) } }
        }
        func centred(_ i: Int) -> [Double] { (0..<d).map { Double(keys[i * d + $0]) - mean[$0] } }
        func code(_ x: [Double], _ l: Int) -> Int {
            (0..<K).reduce(0) { acc, j in
                let s = (0..<d).reduce(0.0) { $0 + x[$1] * Double(w[$1 * K * L + l * K + j]) }
                return acc | (s > 0 ? 1 << j : 0)
            }
        }
        let qd = q.map(Double.init)
        let sampled = middle.filter { i in
            let k = centred(i)
            return (0..<L).filter { code(k, $0) == code(qd, $0) }.count >= threshold
        }
        let staticRows = Array(0..<sinkEnd) + Array(localStart..<n)
        var logits: [Double] = [], rows: [Int] = []
        for j in staticRows {
            logits.append(zip(qd, centred(j)).reduce(0) { $0 + $1.0 * $1.1 } / Double(d).squareRoot())
            rows.append(j)
        }
        let qNorm = norm(qd)
        for i in sampled {
            let k = centred(i)
            let dot = zip(qd, k).reduce(0) { $0 + $1.0 * $1.1 }
            let cosine = max(-1, min(1, dot / (qNorm * norm(k))))
            let p = pow(1 - acos(cosine) / Double.pi, Double(K))
            let u = threshold == 1 ? 1 - pow(1 - p, Double(L))
                : 1 - pow(1 - p, Double(L)) - Double(L) * p * pow(1 - p, Double(L - 1))
            logits.append(dot / Double(d).squareRoot() - log(u + 1e-4))
            rows.append(i)
        }
        guard !rows.isEmpty else { return ([Double](repeating: 0, count: d), -.infinity, []) }
        let m = logits.max()!
        let e = logits.map { exp($0 - m) }, total = e.reduce(0, +)
        var out = [Double](repeating: 0, count: d)
        for (r, i) in rows.enumerated() { for j in 0..<d { out[j] += e[r] / total * Double(values[i * d + j]) } }
        let qMean = zip(qd, mean).reduce(0) { $0 + $1.0 * $1.1 }
        return (out, m + log(total) + qMean / Double(d).squareRoot(), sampled)
    }

    static let cases = [
        Case(K: 4, L: 10, threshold: 2, centering: true, generated: 0),
        Case(K: 4, L: 10, threshold: 2, centering: false, generated: 3),
        Case(K: 3, L: 8, threshold: 1, centering: true, generated: 5),
        Case(K: 5, L: 20, threshold: 1, centering: false, generated: 0),
        Case(K: 2, L: 6, threshold: 2, centering: true, generated: 2),
    ]

    @Test(arguments: cases)
    func estimateEqualsBruteForceFormula(_ c: Case) throws {
        let d = 12, n0 = 120, sink = 3, local = 10
        let keys = randomRows(n0 + c.generated, d, seed: 31, offset: 0.7)
        let values = randomRows(n0 + c.generated, d, seed: 32)
        var g = SeededGenerator(seed: 33)
        let w = g.gaussians(d * c.K * c.L)
        let pig = try MagicPIG(projection: SimHashProjection(dim: d, bits: c.K, tables: c.L, matrix: w),
                               threshold: c.threshold, centering: c.centering)
        let head = pig.prepare(cache: HeadCache(headDim: d, keys: Array(keys[0..<(n0 * d)]),
                                                values: Array(values[0..<(n0 * d)])),
                               context: context(sink: sink, local: local))
        for t in 0..<c.generated {
            head.append(key: Array(keys[((n0 + t) * d)..<((n0 + t + 1) * d)]),
                        value: Array(values[((n0 + t) * d)..<((n0 + t + 1) * d)]))
        }
        #expect(head.tokenCount == n0 + c.generated)
        var sawSample = false
        for trial in 0..<6 {
            let q = randomRows(1, d, seed: UInt64(40 + trial), scale: 1.5)
            let r = head.attend(query: q, recordWeights: true)
            let ref = Self.bruteForce(query: q, keys: keys, values: values, dim: d, promptLength: n0, sink: sink,
                                      local: local, w: w, K: c.K, L: c.L, threshold: c.threshold, centering: c.centering)
            #expect(maxAbsDifference(r.output, ref.output) < 1e-4, "\(c) trial \(trial)")
            #expect(abs(Double(r.logSumExp) - ref.lse) < 1e-3)
            let middle = Set(sink..<(n0 - local))
            let weights = try #require(r.weights)
            #expect(weights.indices.map(Int.init).filter(middle.contains) == ref.sampled)
            #expect(abs(weights.weights.reduce(0, +) - 1) < 1e-4)
            let staticCount = sink + local + c.generated
            #expect(r.cost.sampled == ref.sampled.count)
            #expect(r.cost.keysAttended == staticCount + ref.sampled.count)
            #expect(r.cost.keysScored == r.cost.keysAttended)
            #expect(r.cost.keysTotal == n0 + c.generated)
            #expect(abs(r.cost.costFraction - Double(ref.sampled.count) / Double(middle.count)) < 1e-12)
            #expect(r.cost.flops == Double(2 * d * c.K * c.L + 4 * d * (staticCount + ref.sampled.count)))
            sawSample = sawSample || !ref.sampled.isEmpty
        }
        #expect(sawSample, "the case should exercise a non-empty S")
    }

    /// L = 1 with threshold 2 can never sample: the output is exact attention over T, never NaN.
    @Test func emptySampleGivesExactAttentionOverStaticSet() throws {
        let d = 8, n = 50
        let keys = randomRows(n, d, seed: 1, offset: 0.5), values = randomRows(n, d, seed: 2)
        let pig = try MagicPIG(K: 8, L: 1, threshold: 2)
        let head = pig.prepare(cache: HeadCache(headDim: d, keys: keys, values: values), context: context(sink: 4, local: 8))
        let q = randomRows(1, d, seed: 3)
        let r = head.attend(query: q, recordWeights: true)
        let ref = naiveAttention(query: q, keys: keys, values: values, dim: d, rows: Array(0..<4) + Array(42..<50))
        #expect(r.cost.sampled == 0 && r.cost.costFraction == 0)
        #expect(maxAbsDifference(r.output, ref.output) < 1e-5)
        #expect(abs(Double(r.logSumExp) - ref.lse) < 1e-4)
    }

    @Test func emptyStaticAndEmptySampleGiveZerosAndMinusInfinity() throws {
        let d = 8, n = 30
        let head = try MagicPIG(K: 8, L: 1, threshold: 2).prepare(
            cache: HeadCache(headDim: d, keys: randomRows(n, d, seed: 4), values: randomRows(n, d, seed: 5)),
            context: context(sink: 0, local: 0))
        let r = head.attend(query: randomRows(1, d, seed: 6), recordWeights: true)
        #expect(r.output == [Float](repeating: 0, count: d))
        #expect(r.logSumExp == -.infinity)
        #expect(r.weights?.indices == [])
    }

    /// With every middle key retrieved and u ≈ 1 (K = 1, huge L), MagicPIG is exact attention.
    @Test func retrievingEverythingWithCertaintyIsExact() throws {
        let d = 8, n = 80
        let keys = randomRows(n, d, seed: 7), values = randomRows(n, d, seed: 8)
        let head = try MagicPIG(K: 1, L: 400, threshold: 1).prepare(
            cache: HeadCache(headDim: d, keys: keys, values: values), context: context(sink: 4, local: 8))
        let q = randomRows(1, d, seed: 9)
        let r = head.attend(query: q, recordWeights: false)
        let exact = naiveAttention(query: q, keys: keys, values: values, dim: d, rows: Array(0..<n))
        #expect(r.cost.sampled == n - 12)
        // u = 1 − (1/2)^400 ≈ 1 up to the 1e−4 regulariser: logits shift by ≈ −log(1 + 1e−4) only.
        #expect(maxAbsDifference(r.output, exact.output) < 1e-3)
    }

    @Test func determinismAndSeedDependence() throws {
        let d = 16, n = 400
        let cache = HeadCache(headDim: d, keys: randomRows(n, d, seed: 10, offset: 0.4), values: randomRows(n, d, seed: 11))
        let q = randomRows(1, d, seed: 12)
        for projections in MagicPIG.Projections.allCases {
            let pig = try MagicPIG(K: 4, L: 16, projections: projections)
            let a = pig.prepare(cache: cache, context: context(seed: 1)).attend(query: q, recordWeights: true)
            let b = pig.prepare(cache: cache, context: context(seed: 1)).attend(query: q, recordWeights: true)
            let c = pig.prepare(cache: cache, context: context(seed: 2)).attend(query: q, recordWeights: true)
            #expect(a.output == b.output && a.weights == b.weights)
            #expect(a.weights != c.weights)
        }
        // shared: W ignores (layer, kvHead); per_kv_head: it does not.
        let shared = try MagicPIG(K: 4, L: 16, projections: .shared)
        let perHead = try MagicPIG(K: 4, L: 16, projections: .perKVHead)
        #expect(shared.projection(dim: d, context: context(layer: 0, kvHead: 0))
                == shared.projection(dim: d, context: context(layer: 3, kvHead: 1)))
        #expect(perHead.projection(dim: d, context: context(layer: 0, kvHead: 0))
                != perHead.projection(dim: d, context: context(layer: 3, kvHead: 1)))
    }
}
