import Approximators
import Foundation
import Kernels
import Testing

/// The layer-wide decode kernels agree with the reference approximators (ExactAttention, MagicPIG
/// with the same W, TopK) run on the values as stored — Float16-rounded for Float16 storage — for
/// every storage type, thread counts 1, 2 and 3 and GQA groups.
@Suite struct DecodeKernelAgreementTests {
    static let proto = AttentionProtocol(sinkTokens: 4, localWindow: 16)

    /// A cache of `prompt` tokens plus `generated` appended rows; keys carry a common offset and a
    /// shared direction (so SimHash buckets are uneven, as with real keys).
    static func cache(kvHeads: Int, dim d: Int, prompt: Int, generated: Int, dtype: KVDType, seed: UInt64) -> LayerKV {
        let cache = LayerKV(kvHeads: kvHeads, dim: d, capacity: prompt + generated, dtype: dtype)
        var g = SeededGenerator(seed: seed)
        for h in 0..<kvHeads {
            let offset = g.gaussians(d), direction = g.gaussians(d)
            var keys = g.gaussians((prompt + generated) * d)
            for i in 0..<(prompt + generated) {
                let a = Float(g.nextGaussian())
                for j in 0..<d { keys[i * d + j] += offset[j] + a * direction[j] }
            }
            cache.write(kvHead: h, start: 0, keys: keys, values: g.gaussians((prompt + generated) * d))
        }
        return cache
    }

    static func headCache(_ c: LayerKV, _ h: Int, rows: Int) -> HeadCache {
        HeadCache(headDim: c.dim, keys: c.keys(kvHead: h, rows: 0..<rows), values: c.values(kvHead: h, rows: 0..<rows))
    }

    static func close(_ a: [Float], _ b: [Float], _ tolerance: Float) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
    }

    @Test(arguments: KVDType.allCases, [1, 2, 3])
    func denseMatchesExactAttention(dtype: KVDType, threads: Int) {
        let d = 32, hkv = 2, group = 4, n = 777
        let c = Self.cache(kvHeads: hkv, dim: d, prompt: n, generated: 0, dtype: dtype, seed: 1)
        var g = SeededGenerator(seed: 2)
        let q = g.gaussians(hkv * group * d)
        for chunks in [nil, 3] as [Int?] {
            let (out, lse) = DecodeAttention.attend(queries: q, cache: c, threads: threads, chunksPerKVHead: chunks)
            for head in 0..<(hkv * group) {
                let prepared = ExactAttention().prepare(cache: Self.headCache(c, head / group, rows: n),
                                                        context: HeadContext(layer: 0, kvHead: head / group, seed: 0, attentionProtocol: Self.proto))
                let r = prepared.attend(query: Array(q[(head * d)..<((head + 1) * d)]), recordWeights: false)
                #expect(Self.close(Array(out[(head * d)..<((head + 1) * d)]), r.output, 1e-4), "head \(head), chunks \(String(describing: chunks))")
                #expect(abs(lse[head] - r.logSumExp) < 1e-4)
            }
        }
    }

    @Test(arguments: KVDType.allCases, [1, 2, 3])
    func magicPIGMatchesReference(dtype: KVDType, threads: Int) throws {
        let d = 32, hkv = 2, group = 3, prompt = 900, generated = 3
        let c = Self.cache(kvHeads: hkv, dim: d, prompt: prompt, generated: generated, dtype: dtype, seed: 3)
        var g = SeededGenerator(seed: 4)
        let w = SimHashProjection(dim: d, bits: 4, tables: 24, generator: &g)
        let layout = Self.proto.layout(promptLength: prompt)
        // Segments of 256 rows: the 16-bit index path with several segments.
        let kernel = MagicPIGDecode(cache: c, layout: layout, projections: [w], threads: threads, segmentRows: 256)
        #expect(kernel.tableBytes <= w.tables * layout.middle.count * 4 * hkv + hkv * 4 * w.tables * 17 * 4)
        let q = g.gaussians(hkv * group * d).map { $0 * 2 }
        let mine = kernel.attend(queries: q, includeStatic: true, threads: threads)
        let cpuPart = kernel.attend(queries: q, includeStatic: false, threads: threads)
        var totalSampled = 0
        for h in 0..<hkv {
            let reference = try MagicPIG(projection: w).prepare(
                cache: Self.headCache(c, h, rows: prompt), context: HeadContext(layer: 0, kvHead: h, seed: 0, attentionProtocol: Self.proto))
            for i in prompt..<(prompt + generated) {
                reference.append(key: c.keys(kvHead: h, rows: i..<(i + 1)), value: c.values(kvHead: h, rows: i..<(i + 1)))
            }
            for j in 0..<group {
                let head = h * group + j
                let r = reference.attend(query: Array(q[(head * d)..<((head + 1) * d)]), recordWeights: false)
                #expect(mine.sampled[head] == r.cost.sampled, "head \(head): |S|")
                #expect(Self.close(Array(mine.outputs[(head * d)..<((head + 1) * d)]), r.output, 2e-4), "head \(head)")
                #expect(abs(mine.logSumExp[head] - r.logSumExp) < 2e-4, "head \(head) lse")
                // The CPU part merged with the exact static part gives the whole output.
                let staticRows = Array(layout.sink) + Array(layout.local.lowerBound..<(prompt + generated))
                let exact = ExactAttention().prepare(
                    cache: HeadCache(headDim: d, keys: staticRows.flatMap { c.keys(kvHead: h, rows: $0..<($0 + 1)) },
                                     values: staticRows.flatMap { c.values(kvHead: h, rows: $0..<($0 + 1)) }),
                    context: HeadContext(layer: 0, kvHead: h, seed: 0, attentionProtocol: Self.proto))
                    .attend(query: Array(q[(head * d)..<((head + 1) * d)]), recordWeights: false)
                let merged = Softmax.merge(Array(cpuPart.outputs[(head * d)..<((head + 1) * d)]), logSumExp: cpuPart.logSumExp[head],
                                           exact.output, logSumExp: exact.logSumExp)
                #expect(Self.close(merged.output, r.output, 2e-4), "head \(head): merged CPU part")
                totalSampled += mine.sampled[head]
            }
        }
        #expect(totalSampled > 0, "the test must exercise a non-empty S")
    }

    /// K = 16 bits with 2 tables: no middle key collides twice, S is empty for every head.
    @Test(arguments: KVDType.allCases)
    func emptySampleSets(dtype: KVDType) throws {
        let d = 16, hkv = 1, group = 2, prompt = 300
        let c = Self.cache(kvHeads: hkv, dim: d, prompt: prompt, generated: 0, dtype: dtype, seed: 5)
        var g = SeededGenerator(seed: 6)
        let w = SimHashProjection(dim: d, bits: 16, tables: 2, generator: &g)
        let kernel = MagicPIGDecode(cache: c, layout: Self.proto.layout(promptLength: prompt), projections: [w], threads: 2)
        let q = g.gaussians(group * d)
        let cpu = kernel.attend(queries: q, includeStatic: false, threads: 2)
        #expect(cpu.sampled == [0, 0])
        #expect(cpu.logSumExp.allSatisfy { $0 == -.infinity } && cpu.outputs.allSatisfy { $0 == 0 })
        let whole = kernel.attend(queries: q, includeStatic: true, threads: 2)
        let reference = try MagicPIG(projection: w).prepare(
            cache: Self.headCache(c, 0, rows: prompt), context: HeadContext(layer: 0, kvHead: 0, seed: 0, attentionProtocol: Self.proto))
        for j in 0..<group {
            let r = reference.attend(query: Array(q[(j * d)..<((j + 1) * d)]), recordWeights: false)
            #expect(Self.close(Array(whole.outputs[(j * d)..<((j + 1) * d)]), r.output, 1e-4))
            #expect(!whole.outputs.contains { $0.isNaN })
        }
    }

    @Test(arguments: KVDType.allCases, [1, 2, 3])
    func topKMatchesReference(dtype: KVDType, threads: Int) throws {
        let d = 32, hkv = 2, group = 2, n = 1000
        let c = Self.cache(kvHeads: hkv, dim: d, prompt: n, generated: 0, dtype: dtype, seed: 7)
        var g = SeededGenerator(seed: 8)
        let q = g.gaussians(hkv * group * d)
        let (out, lse) = TopKDecode.attend(queries: q, cache: c, keep: 50, threads: threads)
        for head in 0..<(hkv * group) {
            let r = try TopK(budget: .fraction(0.05)).prepare(
                cache: Self.headCache(c, head / group, rows: n), context: HeadContext(layer: 0, kvHead: head / group, seed: 0, attentionProtocol: Self.proto))
                .attend(query: Array(q[(head * d)..<((head + 1) * d)]), recordWeights: false)
            #expect(Self.close(Array(out[(head * d)..<((head + 1) * d)]), r.output, 1e-4), "head \(head)")
            #expect(abs(lse[head] - r.logSumExp) < 1e-4)
        }
    }

    /// The sampled set does not depend on how the rows are cut into 16-bit segments (the single
    /// segment is checked against brute force in SimHashTests), and the tables take less memory
    /// than L·n·4 bytes.
    @Test(arguments: [1, 2])
    func segmentedTablesDoNotDependOnSegmentSize(threshold: Int) {
        let d = 16, n = 3000
        var g = SeededGenerator(seed: 9)
        let rows = g.gaussians(n * d)
        let w = SimHashProjection(dim: d, bits: 6, tables: 12, generator: &g)
        let reference = SegmentedSimHashTables(rows: rows, projection: w)
        for segment in [1000, 7] {
            let compact = SegmentedSimHashTables(rows: rows, projection: w, segmentRows: segment)
            for _ in 0..<5 {
                let codes = reference.codes(for: g.gaussians(d))
                let mine = compact.retrieve(codes: codes, threshold: threshold)
                #expect(mine == reference.retrieve(codes: codes, threshold: threshold), "segment \(segment)")
            }
        }
        let big = SegmentedSimHashTables(rows: g.gaussians(70_000 * d), projection: SimHashProjection(dim: d, bits: 10, tables: 4, generator: &g))
        #expect(big.bytes <= 4 * 70_000 * 4)
    }
}
