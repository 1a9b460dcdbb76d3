import Foundation
import Testing
@testable import Kernels

/// The wide tiles (taken in native builds on AVX-512 CPUs, `GroupScores.wideTiles`) against the narrow ones every
/// other build runs: the same bits, for both storage types, listed and contiguous rows, head dims with and without
/// tails (of 64 for the V sum, of 8 for the dots) and row counts across the wide V sum's chunks; and dense attention's
/// fused K and V loop against its two passes. The tests call both forms explicitly, so they check the wide path on
/// any CPU and in any build.
@Suite struct WideTileTests {
    static let dims = [8, 20, 64, 72, 128, 200]
    static let counts = [1, 2, 3, 4, 7, 301, 700]

    /// One head of `n` rows of any dim (LayerKV takes multiples of 16 only), stored as `dtype`.
    final class Rows {
        let keys: UnsafeMutableRawPointer, values: UnsafeMutableRawPointer
        let head: KVHead
        init(dim d: Int, rows n: Int, dtype: KVDType) {
            var g = SeededGenerator(seed: UInt64(d * 1000 + n))
            let k = g.gaussians(n * d), v = g.gaussians(n * d)
            let bytes = max(n * d, 1) * dtype.bytesPerElement
            keys = .allocate(byteCount: bytes, alignment: 64)
            values = .allocate(byteCount: bytes, alignment: 64)
            for i in 0..<(n * d) {
                switch dtype {
                case .float32: Float.store(k[i], keys, i); Float.store(v[i], values, i)
                case .float16: Float16.store(k[i], keys, i); Float16.store(v[i], values, i)
                }
            }
            head = KVHead(keys: keys, values: values, dim: d, dtype: dtype)
        }
        deinit { keys.deallocate(); values.deallocate() }
    }

    /// `n` ascending rows, about one in three.
    static func listed(_ n: Int, seed: UInt64) -> [Int32] {
        var g = SeededGenerator(seed: seed)
        var rows: [Int32] = [], r: Int32 = 0
        while rows.count < n {
            if g.next() % 3 == 0 { rows.append(r) }
            r += 1
        }
        return rows
    }

    /// Every (dim, count) case: the head's rows and how the kernels address them (a list, or a contiguous range).
    static func forEachCase(_ dtype: KVDType, listedRows: Bool, _ body: (_ d: Int, _ count: Int, KVHead, any RowIndex) -> Void) {
        for d in dims {
            for count in counts {
                let list = listed(count, seed: UInt64(count))
                let storage = Rows(dim: d, rows: listedRows ? Int(list.last! + 1) : count, dtype: dtype)
                list.withUnsafeBufferPointer { lp in
                    body(d, count, storage.head, listedRows ? ListedRows(rows: lp.baseAddress!) : ContiguousRows(first: 0))
                }
                withExtendedLifetime(storage) {}
            }
        }
    }

    @Test(arguments: KVDType.allCases, [false, true])
    func fourByFourScoresEqualTwoRowTiles(dtype: KVDType, listedRows: Bool) {
        Self.forEachCase(dtype, listedRows: listedRows) { d, count, head, rows in
            var g = SeededGenerator(seed: 5)
            let q = g.gaussians(4 * d)
            var narrow = [Float](repeating: .nan, count: 4 * count), wide = narrow
            q.withUnsafeBufferPointer { qp in
                narrow.withUnsafeMutableBufferPointer { out in
                    for i in stride(from: 0, to: count, by: 2) { Self.scoresStep(dtype, head, rows, count, qp.baseAddress!, out.baseAddress!, at: i) }
                }
                wide.withUnsafeMutableBufferPointer { out in Self.scoresWide(dtype, head, rows, count, qp.baseAddress!, out.baseAddress!) }
            }
            #expect(wide.map(\.bitPattern) == narrow.map(\.bitPattern), "d \(d), count \(count)")
            #expect(!wide.contains { $0.isNaN }, "every score written, d \(d), count \(count)")
        }
    }

    @Test(arguments: KVDType.allCases, [false, true])
    func registerVSumsEqualRowOuterSums(dtype: KVDType, listedRows: Bool) {
        Self.forEachCase(dtype, listedRows: listedRows) { d, count, head, rows in
            var g = SeededGenerator(seed: 6)
            // Some zero weights, as MagicPIG gives the rows outside a query's S.
            let w = g.gaussians(4 * count).map { $0 < -0.5 ? 0 : $0 }
            let start = g.gaussians(4 * d)
            var narrow = start, wide = start
            w.withUnsafeBufferPointer { wp in
                narrow.withUnsafeMutableBufferPointer { acc in
                    for i in stride(from: 0, to: count, by: 2) { Self.sumStep(dtype, head, rows, count, wp.baseAddress!, acc.baseAddress!, at: i) }
                }
                wide.withUnsafeMutableBufferPointer { acc in Self.sumWide(dtype, head, rows, count, wp.baseAddress!, acc.baseAddress!) }
            }
            #expect(wide.map(\.bitPattern) == narrow.map(\.bitPattern), "d \(d), count \(count)")
            #expect(wide != start, "the sum added something, d \(d), count \(count)")
        }
    }

    /// Dense attention's fused loop (a block's scores with the previous block's V sum), in either form, against the
    /// two passes run apart: the same bits, for groups of one and two four-query tiles and key/value blocks of equal
    /// and unequal lengths (a cache's last block, a first block with no V sum yet).
    @Test(arguments: KVDType.allCases, [false, true])
    func fusedPassesEqualSeparatePasses(dtype: KVDType, wide: Bool) {
        let blocks = [(64, 64), (37, 64), (64, 37), (3, 2), (1, 4), (5, 0), (0, 6)]
        for d in Self.dims {
            let storage = Rows(dim: d, rows: 200, dtype: dtype), head = storage.head
            for g in [4, 8] {
                for (keyCount, valueCount) in blocks {
                    var gen = SeededGenerator(seed: UInt64(d * 100 + keyCount * 10 + valueCount))
                    let stride = 64, q = gen.gaussians(g * d), w = gen.gaussians(g * stride), start = gen.gaussians(g * d)
                    let keyRows = ContiguousRows(first: 120, end: 200), valueRows = ContiguousRows(first: 56, end: 200)
                    var fusedScores = [Float](repeating: 0, count: g * stride), apartScores = fusedScores
                    var fusedSums = start, apartSums = start
                    q.withUnsafeBufferPointer { qp in
                        w.withUnsafeBufferPointer { wp in
                            fusedScores.withUnsafeMutableBufferPointer { sp in
                                fusedSums.withUnsafeMutableBufferPointer { ap in
                                    Self.fused(dtype, head, keyRows, keyCount, valueRows, valueCount, g, qp.baseAddress!, stride,
                                               sp.baseAddress!, wp.baseAddress!, ap.baseAddress!, wide: wide)
                                }
                            }
                            apartScores.withUnsafeMutableBufferPointer { sp in
                                apartSums.withUnsafeMutableBufferPointer { ap in
                                    for t in Swift.stride(from: 0, to: g, by: 4) {
                                        for i in Swift.stride(from: 0, to: keyCount, by: 2) {
                                            Self.scoresStep(dtype, head, keyRows, keyCount, qp.baseAddress! + t * d, sp.baseAddress! + t * stride, stride: stride, at: i)
                                        }
                                        for i in Swift.stride(from: 0, to: valueCount, by: 2) {
                                            Self.sumStep(dtype, head, valueRows, valueCount, wp.baseAddress! + t * stride, ap.baseAddress! + t * d, stride: stride, at: i)
                                        }
                                    }
                                }
                            }
                        }
                    }
                    let label = "d \(d), g \(g), keys \(keyCount), values \(valueCount)"
                    #expect(fusedScores.map(\.bitPattern) == apartScores.map(\.bitPattern), "scores, \(label)")
                    #expect(fusedSums.map(\.bitPattern) == apartSums.map(\.bitPattern), "sums, \(label)")
                    #expect(valueCount == 0 || fusedSums != start, "the sum added something, \(label)")
                }
            }
            withExtendedLifetime(storage) {}
        }
    }

    static func fused(_ dtype: KVDType, _ head: KVHead, _ keyRows: ContiguousRows, _ keyCount: Int,
                      _ valueRows: ContiguousRows, _ valueCount: Int, _ g: Int, _ q: UnsafePointer<Float>, _ stride: Int,
                      _ scores: UnsafeMutablePointer<Float>, _ w: UnsafePointer<Float>, _ acc: UnsafeMutablePointer<Float>, wide: Bool) {
        switch dtype {
        case .float32:
            GroupScores.computeAndAccumulate(Float.self, keys: head.keys, keyRows: keyRows, keyCount: keyCount, values: head.values,
                                             valueRows: valueRows, valueCount: valueCount, dim: head.dim, queries: q, queryCount: g,
                                             stride: stride, scores: scores, weights: w, into: acc, wide: wide)
        case .float16:
            GroupScores.computeAndAccumulate(Float16.self, keys: head.keys, keyRows: keyRows, keyCount: keyCount, values: head.values,
                                             valueRows: valueRows, valueCount: valueCount, dim: head.dim, queries: q, queryCount: g,
                                             stride: stride, scores: scores, weights: w, into: acc, wide: wide)
        }
    }

    /// The wide forms, called explicitly.
    static func scoresWide<R: RowIndex>(_ dtype: KVDType, _ head: KVHead, _ rows: R, _ count: Int,
                                        _ q: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        switch dtype {
        case .float32: GroupScores.scoresFour(Float.self, head.keys, rows, count, head.dim, q, count, out, wide: true)
        case .float16: GroupScores.scoresFour(Float16.self, head.keys, rows, count, head.dim, q, count, out, wide: true)
        }
    }

    static func sumWide<R: RowIndex>(_ dtype: KVDType, _ head: KVHead, _ rows: R, _ count: Int,
                                     _ w: UnsafePointer<Float>, _ acc: UnsafeMutablePointer<Float>) {
        switch dtype {
        case .float32: GroupScores.accumulateFourWide(Float.self, head.values, rows, count, head.dim, w, count, acc)
        case .float16: GroupScores.accumulateFourWide(Float16.self, head.values, rows, count, head.dim, w, count, acc)
        }
    }

    /// The narrow tiles, step by step (what `scoresFour` and `accumulateFour` run without wide registers).
    static func scoresStep<R: RowIndex>(_ dtype: KVDType, _ head: KVHead, _ rows: R, _ count: Int,
                                        _ q: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, stride: Int? = nil, at i: Int) {
        switch dtype {
        case .float32: GroupScores.scoresFourStep(Float.self, head.keys, rows, count, head.dim, q, stride ?? count, out, at: i)
        case .float16: GroupScores.scoresFourStep(Float16.self, head.keys, rows, count, head.dim, q, stride ?? count, out, at: i)
        }
    }

    static func sumStep<R: RowIndex>(_ dtype: KVDType, _ head: KVHead, _ rows: R, _ count: Int,
                                     _ w: UnsafePointer<Float>, _ acc: UnsafeMutablePointer<Float>, stride: Int? = nil, at i: Int) {
        switch dtype {
        case .float32: GroupScores.accumulateFourStep(Float.self, head.values, rows, count, head.dim, w, stride ?? count, acc, at: i)
        case .float16: GroupScores.accumulateFourStep(Float16.self, head.values, rows, count, head.dim, w, stride ?? count, acc, at: i)
        }
    }
}
