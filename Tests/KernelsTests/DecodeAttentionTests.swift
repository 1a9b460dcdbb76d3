import Foundation
import Testing
@testable import Kernels

/// The decode kernels against a plain float64 softmax-attention over the stored (rounded) values.
@Suite struct DecodeAttentionTests {
    static func filled(kvHeads: Int, dim: Int, count: Int, dtype: KVDType, seed: UInt64) -> LayerKV {
        let cache = LayerKV(kvHeads: kvHeads, dim: dim, capacity: count, dtype: dtype)
        var g = SeededGenerator(seed: seed)
        for h in 0..<kvHeads {
            cache.write(kvHead: h, start: 0, keys: g.gaussians(count * dim).map { $0 * 1.5 }, values: g.gaussians(count * dim))
        }
        return cache
    }

    /// Softmax attention of q over rows `range` in float64; (output, lse).
    static func reference(_ q: ArraySlice<Float>, keys: [Float], values: [Float], dim d: Int) -> ([Double], Double) {
        let n = keys.count / d
        guard n > 0 else { return ([Double](repeating: 0, count: d), -.infinity) }
        let qa = Array(q)
        let logits = (0..<n).map { i in (0..<d).reduce(0.0) { $0 + Double(qa[$1]) * Double(keys[i * d + $1]) } / Double(d).squareRoot() }
        let m = logits.max()!
        let w = logits.map { exp($0 - m) }
        let s = w.reduce(0, +)
        var out = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { out[j] += w[i] / s * Double(values[i * d + j]) } }
        return (out, m + log(s))
    }

    @Test(arguments: KVDType.allCases, [1, 2, 3])
    func denseMatchesReference(dtype: KVDType, threads: Int) {
        let d = 32, hkv = 2
        for (group, n, chunks) in [(1, 300, nil), (3, 300, 3), (4, 1000, 5), (2, 7, 4), (7, 500, nil), (6, 130, 2)] as [(Int, Int, Int?)] {
            let cache = Self.filled(kvHeads: hkv, dim: d, count: n, dtype: dtype, seed: UInt64(n))
            var g = SeededGenerator(seed: 99)
            let q = g.gaussians(hkv * group * d)
            let (out, lse) = DecodeAttention.attend(queries: q, cache: cache, threads: threads, chunksPerKVHead: chunks)
            for head in 0..<(hkv * group) {
                let h = head / group
                let (ro, rl) = Self.reference(q[(head * d)..<((head + 1) * d)], keys: cache.keys(kvHead: h, rows: 0..<n),
                                              values: cache.values(kvHead: h, rows: 0..<n), dim: d)
                #expect(abs(Double(lse[head]) - rl) < 1e-4, "lse, head \(head), G \(group), n \(n), chunks \(String(describing: chunks))")
                for j in 0..<d {
                    #expect(abs(Double(out[head * d + j]) - ro[j]) < 1e-4, "output[\(j)], head \(head), G \(group), n \(n)")
                }
            }
        }
    }

    /// Groups padded to whole four-query tiles (6, 7) and one that is not (5): every query's result is
    /// the one it gets alone, bit for bit.
    @Test(arguments: KVDType.allCases)
    func paddedGroupsEqualSingleQueries(dtype: KVDType) {
        let d = 64, n = 333
        let cache = Self.filled(kvHeads: 1, dim: d, count: n, dtype: dtype, seed: 21)
        for group in [5, 6, 7] {
            var g = SeededGenerator(seed: UInt64(group))
            let q = g.gaussians(group * d)
            var out = [Float](repeating: 0, count: group * d), lse = [Float](repeating: 0, count: group)
            DecodeAttention.attend(queries: q, group: group, head: cache.head(0), rows: 0..<n, outputs: &out, logSumExp: &lse)
            for j in 0..<group {
                var one = [Float](repeating: 0, count: d), oneLse: [Float] = [0]
                DecodeAttention.attend(queries: Array(q[(j * d)..<((j + 1) * d)]), group: 1, head: cache.head(0), rows: 0..<n,
                                       outputs: &one, logSumExp: &oneLse)
                #expect(Array(out[(j * d)..<((j + 1) * d)]) == one && lse[j] == oneLse[0], "G \(group), query \(j)")
            }
        }
    }

    /// The all-heads entry (pieces of ≤ 1024 rows spread over the threads) against the one-head entry
    /// (pieces in turn): the same bits for every thread count, including a rows range that starts late;
    /// and both against the float64 reference, so the merge of the pieces is checked too.
    @Test(arguments: KVDType.allCases)
    func headsOnThreadsEqualOneHeadAtATime(dtype: KVDType) {
        let d = 64, hkv = 3, group = 3, n = 2600
        let cache = Self.filled(kvHeads: hkv, dim: d, count: n, dtype: dtype, seed: 5)
        var g = SeededGenerator(seed: 8)
        let q = g.gaussians(hkv * group * d)
        let heads = (0..<hkv).map { cache.head($0) }
        for rows in [0..<n, 700..<n, 0..<1024, 0..<1025] {
            #expect(DecodeAttention.pieces(rows.count) == (rows.count + 1023) / 1024)
            var single = [Float](repeating: 0, count: hkv * group * d), singleLse = [Float](repeating: 0, count: hkv * group)
            for h in 0..<hkv {
                var out = [Float](repeating: 0, count: group * d), lse = [Float](repeating: 0, count: group)
                DecodeAttention.attend(queries: Array(q[(h * group * d)..<((h + 1) * group * d)]), group: group, head: heads[h],
                                       rows: rows, outputs: &out, logSumExp: &lse)
                single.replaceSubrange((h * group * d)..<((h + 1) * group * d), with: out)
                singleLse.replaceSubrange((h * group)..<((h + 1) * group), with: lse)
            }
            for threads in [1, 2, 3, 4] {
                var out = [Float](repeating: 0, count: hkv * group * d), lse = [Float](repeating: 0, count: hkv * group)
                DecodeAttention.attend(queries: q, group: group, heads: heads, rows: rows, threads: threads,
                                       outputs: &out, logSumExp: &lse)
                #expect(out == single && lse == singleLse, "rows \(rows), threads \(threads)")
            }
            for head in 0..<(hkv * group) {
                let h = head / group
                let (ro, rl) = Self.reference(q[(head * d)..<((head + 1) * d)], keys: cache.keys(kvHead: h, rows: rows),
                                              values: cache.values(kvHead: h, rows: rows), dim: d)
                #expect(abs(Double(singleLse[head]) - rl) < 1e-4, "lse, head \(head), rows \(rows)")
                #expect((0..<d).allSatisfy { abs(Double(single[head * d + $0]) - ro[$0]) < 1e-4 }, "output, head \(head), rows \(rows)")
            }
        }
    }

    @Test func subrangeAndEmptyRange() {
        let d = 16, cache = Self.filled(kvHeads: 1, dim: d, count: 200, dtype: .float32, seed: 3)
        var g = SeededGenerator(seed: 4)
        let q = g.gaussians(2 * d)
        let (out, lse) = DecodeAttention.attend(queries: q, cache: cache, rows: 50..<170, threads: 2, chunksPerKVHead: 3)
        let (ro, rl) = Self.reference(q[0..<d], keys: cache.keys(kvHead: 0, rows: 50..<170),
                                      values: cache.values(kvHead: 0, rows: 50..<170), dim: d)
        #expect(abs(Double(lse[0]) - rl) < 1e-4)
        for j in 0..<d { #expect(abs(Double(out[j]) - ro[j]) < 1e-4) }
        let (empty, emptyLse) = DecodeAttention.attend(queries: q, cache: cache, rows: 5..<5, threads: 2)
        #expect(empty.allSatisfy { $0 == 0 } && emptyLse.allSatisfy { $0 == -.infinity })
    }

    @Test func float16StorageRoundsOnce() {
        let cache = LayerKV(kvHeads: 1, dim: 16, capacity: 1, dtype: .float16)
        let x = (0..<16).map { Float($0) * 0.1 + 1e-3 }
        cache.write(kvHead: 0, start: 0, keys: x, values: x)
        #expect(cache.keys(kvHead: 0, rows: 0..<1) == x.map { Float(Float16($0)) })
        #expect(cache.kvBytes == 2 * 16 * 2)
    }

    /// Radix selection picks the same keys as the heap (ties to the lower index), ascending.
    @Test(arguments: [1, 5, 64, 399, 400])
    func radixTopKMatchesHeap(k: Int) {
        var g = SeededGenerator(seed: UInt64(k))
        // Few distinct values, negatives and zeros: many ties at the threshold.
        let x: [Float] = (0..<400).map { _ in Float(Int(g.nextUniform() * 9) - 4) * 0.5 }
        var out = [Int32](repeating: -1, count: k)
        x.withUnsafeBufferPointer { xb in out.withUnsafeMutableBufferPointer { TopKDecode.largest(xb.baseAddress!, count: 400, k: k, into: $0.baseAddress!) } }
        let heap = x.withUnsafeBufferPointer { Selection.topK($0, k: k) }.sorted()
        #expect(out == heap)
    }

    @Test func topKDecodeMatchesReferenceOverSelectedRows() {
        let d = 32, n = 500, cache = Self.filled(kvHeads: 2, dim: d, count: n, dtype: .float16, seed: 8)
        var g = SeededGenerator(seed: 5)
        let q = g.gaussians(4 * d)
        let (out, lse) = TopKDecode.attend(queries: q, cache: cache, keep: 1000, threads: 3)  // keep ≥ n: dense
        let (dense, denseLse) = DecodeAttention.attend(queries: q, cache: cache, threads: 1)
        for i in 0..<out.count { #expect(abs(out[i] - dense[i]) < 1e-4) }
        for i in 0..<lse.count { #expect(abs(lse[i] - denseLse[i]) < 1e-4) }
    }

    /// Both probes read something; the scattered one takes about one row in `every`, and its row sum is the
    /// plain sum of the listed rows.
    @Test(arguments: [256, 32])
    func bandwidthProbes(rowBytes: Int) {
        let probe = Bandwidth(bytes: 1 << 20, rowBytes: rowBytes, every: 4, threads: 2)
        #expect(probe.streaming() > 0 && probe.scattered() > 0)
        let total = probe.floats / probe.rowFloats
        #expect(probe.rows.count > total / 8 && probe.rows.count < total / 2)
        #expect(zip(probe.rows, probe.rows.dropFirst()).allSatisfy { $0 < $1 })
        var expected = 0.0
        for r in probe.rows { for c in 0..<probe.rowFloats { expected += Double(probe.buffer[Int(r) * probe.rowFloats + c]) } }
        let got = probe.rows.withUnsafeBufferPointer {
            Bandwidth.sumRows(probe.buffer, rows: $0.baseAddress!, count: $0.count, rowFloats: probe.rowFloats)
        }
        #expect(expected > 0 && abs(Double(got) - expected) <= 1e-3 * expected)
    }
}
