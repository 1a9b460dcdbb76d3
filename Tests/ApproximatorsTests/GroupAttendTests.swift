import Testing
@testable import Approximators
import Kernels

/// `attend(queries:)` (one pass over K and V per GQA group) must equal per-query attends called
/// in order, bit for bit and random draws included, before and after generated tokens.
@Suite struct GroupAttendTests {
    let d = 64, n = 333

    func methods() throws -> [any AttentionApproximator] {
        [ExactAttention(), try TopK(budget: .fraction(0.05)), try TopK(budget: .fraction(0.05), static: true),
         try OracleSampling(budget: .fraction(0.1)), try OracleSampling(budget: .fraction(0.1), static: true),
         try MagicPIG(K: 4, L: 20), StreamingLLM()]
    }

    /// Groups of 4 (one four-query tile), 7 and 3 (the last three padded to a tile, `GroupScores.padsLastQueries`)
    /// and 6 (two single queries after the tile).
    @Test(arguments: [4, 7, 3, 6])
    func batchedEqualsSequential(group: Int) throws {
        let keys = randomRows(n, d, seed: 31, offset: 0.3), values = randomRows(n, d, seed: 32)
        let extra = randomRows(3, 2 * d, seed: 33)
        for method in try methods() {
            let cache = HeadCache(headDim: d, keys: keys, values: values)
            let batched = method.prepare(cache: cache, context: context(seed: 7, local: 16))
            let single = method.prepare(cache: cache, context: context(seed: 7, local: 16))
            for step in 0..<3 {
                let row = Array(extra[(step * 2 * d)..<((step * 2 + 1) * d)])
                let value = Array(extra[((step * 2 + 1) * d)..<((step * 2 + 2) * d)])
                batched.append(key: row, value: value)
                single.append(key: row, value: value)
                let queries = (0..<group).map { randomRows(1, d, seed: UInt64(100 * step + $0), scale: 3) }
                let a = batched.attend(queries: queries, recordWeights: true)
                let b = queries.map { single.attend(query: $0, recordWeights: true) }
                for (x, y) in zip(a, b) {
                    #expect(x.output == y.output, "\(method.method) step \(step)")
                    #expect(x.logSumExp == y.logSumExp, "\(method.method) step \(step)")
                    #expect(x.weights == y.weights, "\(method.method) step \(step)")
                    #expect(x.cost == y.cost, "\(method.method) step \(step)")
                }
            }
        }
    }

    /// Prepared heads adopt the cache's arrays; appending to the head must not change the
    /// caller's cache (copy-on-write), and a cache with spare capacity works the same.
    @Test func preparedHeadsKeepHeadCacheAValue() throws {
        let keys = randomRows(n, d, seed: 34), values = randomRows(n, d, seed: 35)
        var reserved = [Float](); reserved.reserveCapacity((n + 8) * d); reserved += keys
        for method in try methods() {
            let cache = HeadCache(headDim: d, keys: keys, values: values)
            let head = method.prepare(cache: cache, context: context())
            let roomy = method.prepare(cache: HeadCache(headDim: d, keys: reserved, values: values), context: context())
            let q = randomRows(1, d, seed: 36)
            head.append(key: randomRows(1, d, seed: 37), value: randomRows(1, d, seed: 38))
            roomy.append(key: randomRows(1, d, seed: 37), value: randomRows(1, d, seed: 38))
            #expect(cache.count == n && cache.keys == keys && cache.values == values, "\(method.method)")
            #expect(reserved.count == n * d && Array(reserved) == keys, "\(method.method)")
            #expect(head.tokenCount == n + 1 && roomy.tokenCount == n + 1)
            let a = head.attend(query: q, recordWeights: false), b = roomy.attend(query: q, recordWeights: false)
            #expect(a.output == b.output && a.logSumExp == b.logSumExp, "\(method.method)")
        }
    }
}
