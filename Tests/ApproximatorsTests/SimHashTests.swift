import Testing
@testable import Approximators
import Kernels

@Suite struct SimHashTests {
    /// Brute force: every code from the row-major W by explicit dot products.
    static func bruteCodes(_ x: ArraySlice<Float>, _ w: [Float], dim d: Int, K: Int, L: Int) -> [UInt32] {
        let x = Array(x)
        return (0..<L).map { l in
            var code: UInt32 = 0
            for j in 0..<K {
                var s: Float = 0
                for i in 0..<d { s += x[i] * w[i * K * L + l * K + j] }
                if s > 0 { code |= 1 << UInt32(j) }
            }
            return code
        }
    }

    @Test(arguments: [(1, 4, 1), (3, 10, 2), (4, 12, 1), (6, 30, 2), (10, 50, 2), (16, 8, 1)])
    func retrievalEqualsBruteForceCollisionCount(K: Int, L: Int, threshold: Int) {
        let d = 16, n = 300
        let rows = randomRows(n, d, seed: UInt64(K * 100 + L))
        var g = SeededGenerator(seed: UInt64(L))
        let w = g.gaussians(d * K * L)
        let projection = SimHashProjection(dim: d, bits: K, tables: L, matrix: w)
        #expect(projection.matrix == w)
        let tables = SegmentedSimHashTables(rows: rows, projection: projection)
        let keyCodes = (0..<n).map { Self.bruteCodes(rows[(($0) * d)..<(($0 + 1) * d)], w, dim: d, K: K, L: L) }
        for trial in 0..<5 {
            // Queries near a key, so high collision counts occur as well as low ones.
            let base = rows[(trial * 37 * d)..<((trial * 37 + 1) * d)]
            let noise = randomRows(1, d, seed: UInt64(1000 + trial), scale: 0.3)
            let query = zip(base, noise).map { $0 + $1 }
            let qCodes = tables.codes(for: query)
            #expect(qCodes == Self.bruteCodes(query[...], w, dim: d, K: K, L: L))
            let expected = (0..<n).filter { i in zip(keyCodes[i], qCodes).filter { $0 == $1 }.count >= threshold }
            let got = tables.retrieve(codes: qCodes, threshold: threshold).map(Int.init)
            #expect(got.count == Set(got).count, "no duplicates")
            #expect(got.sorted() == expected)
            // Counters are reset: a second retrieval gives the same set.
            #expect(tables.retrieve(codes: qCodes, threshold: threshold).map(Int.init).sorted() == expected)
        }
    }

    @Test func bucketsAreACountingSortByCode() {
        let d = 8, n = 200, K = 5, L = 7
        let rows = randomRows(n, d, seed: 5)
        var g = SeededGenerator(seed: 6)
        let projection = SimHashProjection(dim: d, bits: K, tables: L, generator: &g)
        let tables = SegmentedSimHashTables(rows: rows, projection: projection)
        let b = 1 << K
        #expect(tables.offsets.count == L * (b + 1))
        for l in 0..<L {
            #expect(tables.offsets[l * (b + 1)] == 0 && tables.offsets[l * (b + 1) + b] == UInt32(n))
            let table = Array(tables.indices[(l * n)..<((l + 1) * n)])
            #expect(Set(table).count == n)
            for bucket in 0..<b {
                for e in Int(tables.offsets[l * (b + 1) + bucket])..<Int(tables.offsets[l * (b + 1) + bucket + 1]) {
                    let i = Int(table[e])
                    #expect(Self.bruteCodes(rows[(i * d)..<((i + 1) * d)], projection.matrix, dim: d, K: K, L: L)[l]
                            == UInt32(bucket))
                }
            }
        }
    }

    /// K = 16 codes use all 16 bits (the authors' fp16 packing is exact only to K = 11).
    @Test func sixteenBitCodesAreExact() {
        let d = 4, K = 16
        // Column j is +e_0 for j odd and −e_0 otherwise: x = e_0 has code 0b1010…10.
        var w = [Float](repeating: 0, count: d * K)
        for j in 0..<K { w[j] = j % 2 == 1 ? 1 : -1 }
        let tables = SegmentedSimHashTables(rows: [1, 0, 0, 0], projection: SimHashProjection(dim: d, bits: K, tables: 1, matrix: w))
        #expect(tables.codes(for: [1, 0, 0, 0]) == [0xAAAA])
        #expect(tables.codes(for: [-1, 0, 0, 0]) == [0x5555])
        #expect(tables.retrieve(codes: [0xAAAA], threshold: 1) == [0])
        #expect(tables.retrieve(codes: [0xAAAB], threshold: 1) == [])
    }
}
