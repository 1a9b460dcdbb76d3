import Foundation
import Kernels

/// Oracle sampling as the MagicPIG authors define it: m = max(1, int(budget · kv_len)) draws
/// i.i.d. with replacement from the exact softmax, output = mean of the drawn values (unbiased
/// for the exact output). "Oracle" because drawing needs every exact score.
///
/// With `static`, sink ∪ local window ∪ generated are attended exactly, the draws come from the
/// softmax over the middle only, and the two parts merge by their (exact) log-sum-exps.
public struct OracleSampling: AttentionApproximator {
    public let method = "oracle_sampling"
    public var isRandomized: Bool { true }
    public let budget: KeyBudget
    public let staticSet: Bool

    public init(budget: KeyBudget, static staticSet: Bool = false) throws {
        try KeyBudget.check(budget, method: "oracle_sampling")
        self.budget = budget
        self.staticSet = staticSet
    }

    public var parameters: [String: String] { ["budget": budget.description, "static": String(staticSet)] }

    public func prepare(cache: HeadCache, context: HeadContext) -> any PreparedAttentionHead {
        let generator = SeededGenerator(seed: context.seed,
                                        stream: [UInt64(context.layer), UInt64(context.kvHead), StreamTag.oracleSampling])
        return PreparedOracleSampling(cache: cache, layout: context.attentionProtocol.layout(promptLength: cache.count),
                                      budget: budget, staticSet: staticSet, generator: generator)
    }
}

final class PreparedOracleSampling: RowBufferedHead {
    let keys: RowBuffer
    let values: RowBuffer
    let layout: CacheLayout
    let budget: KeyBudget
    let staticSet: Bool
    /// Owned by the head, so a sequence of attends is reproducible from the seed.
    private var generator: SeededGenerator
    private let cdf = Scratch<Double>()
    /// Draws per key; all zero between attends (each attend resets the keys it drew).
    private let counts = ZeroedCounters<Int32>()
    private let uniqueRows = Scratch<Int32>()
    private let groupScratch = Scratch<Float>()
    private let packedQueries = Scratch<Float>()

    init(cache: HeadCache, layout: CacheLayout, budget: KeyBudget, staticSet: Bool, generator: SeededGenerator) {
        keys = RowBuffer(dim: cache.headDim, rows: cache.keys)
        values = RowBuffer(dim: cache.headDim, rows: cache.values)
        self.layout = layout
        self.budget = budget
        self.staticSet = staticSet
        self.generator = generator
    }


    func attend(query: [Float], recordWeights: Bool) -> AttentionResult {
        attend(query: query, recordWeights: recordWeights, draws: nil)
    }

    /// `draws` (absolute key indices inside the sampled region) replaces the random draws; the
    /// numpy-fixture test uses it to check the estimator independently of the generator.
    func attend(query: [Float], recordWeights: Bool, draws givenDraws: [Int]?) -> AttentionResult {
        let d = keys.dim
        precondition(query.count == d, "attend: query length \(query.count) must equal head_dim \(d)")
        return attend(scores: groupScores([query], packed: packedQueries, into: groupScratch), recordWeights: recordWeights, draws: givenDraws)
    }

    /// One score pass over K for the whole group, then each query's softmax and draws in turn
    /// (the generator is consumed in the same order as by single attends).
    func attend(queries: [[Float]], recordWeights: Bool) -> [AttentionResult] {
        let n = keys.count, sc = groupScores(queries, packed: packedQueries, into: groupScratch)
        return queries.indices.map { attend(scores: sc + $0 * n, recordWeights: recordWeights, draws: nil) }
    }


    /// The rest of an attend once the query's scores over every key are in `sc` (overwritten).
    private func attend(scores sc: UnsafeMutablePointer<Float>, recordWeights: Bool, draws givenDraws: [Int]?) -> AttentionResult {
        let d = keys.dim, n = keys.count
        let region: Range<Int> = staticSet ? layout.middle : 0..<n
        var staticRows: [Int32] = []
        if staticSet {
            let (sink, rest) = layout.staticRanges(count: n)
            staticRows = sink.map { Int32($0) } + rest.map { Int32($0) }
        }

        // Sampled part: exact softmax over the region (scores → probabilities in place).
        let regionProbabilities = sc + region.lowerBound
        let regionLSE = Softmax.inPlace(regionProbabilities, count: region.count)
        let m = region.isEmpty ? 0 : (givenDraws?.count ?? budget.keys(total: n, available: .max, atLeastOne: true))
        let counts = self.counts.reserve(n)
        let uniqueBase = uniqueRows.reserve(max(givenDraws?.count ?? m, 1))
        var uniqueCount = 0
        if let givenDraws {
            for i in givenDraws {
                precondition(region.contains(i), "draw \(i) is outside the sampled region \(region)")
                if counts[i] == 0 { uniqueBase[uniqueCount] = Int32(i); uniqueCount += 1 }
                counts[i] += 1
            }
        } else if m > 0 {
            let c = cdf.reserve(region.count)
            var acc = 0.0
            for i in 0..<region.count { acc += Double(regionProbabilities[i]); c[i] = acc }
            for _ in 0..<m {
                let i = region.lowerBound + Self.firstAbove(generator.nextUniform() * acc, cdf: c, count: region.count)
                if counts[i] == 0 { uniqueBase[uniqueCount] = Int32(i); uniqueCount += 1 }
                counts[i] += 1
            }
        }
        let unique = UnsafeBufferPointer(start: uniqueBase, count: uniqueCount)
        var sampledOutput = [Float](repeating: 0, count: d)
        for i in unique {
            Vector.axpy(Float(counts[Int(i)]) / Float(m), values.row(Int(i)), &sampledOutput, count: d)
        }

        // Static part (exact) and the log-sum-exp merge.
        var output = sampledOutput, lse = m > 0 ? regionLSE : -.infinity
        var staticProbabilities: [Float] = []
        if !staticRows.isEmpty {
            staticProbabilities = staticRows.map { sc[Int($0)] }  // region softmax left these untouched
            let staticPart = staticProbabilities.withUnsafeMutableBufferPointer { z in
                staticRows.withUnsafeBufferPointer { r in
                    SubsetAttention.finish(logits: z.baseAddress!, rows: r.baseAddress!, count: r.count, head: head)
                }
            }
            (output, lse) = Softmax.merge(staticPart.output, logSumExp: staticPart.logSumExp, output, logSumExp: lse)
        }

        var weights: SparseAttentionWeights?
        if recordWeights {
            let sampledShare: Float = m > 0 && lse > -.infinity ? expf(regionLSE - lse) : 0
            let staticShare: Float = lse > -.infinity ? 1 - sampledShare : 0
            var pairs = unique.map { ($0, Float(counts[Int($0)]) / Float(m) * sampledShare) }
            pairs += zip(staticRows, staticProbabilities).map { ($0, $1 * staticShare) }
            pairs.sort { $0.0 < $1.0 }
            weights = SparseAttentionWeights(indices: pairs.map(\.0), weights: pairs.map(\.1))
        }
        for i in unique { counts[Int(i)] = 0 }

        let attended = unique.count + staticRows.count
        let cost = AttentionCost(keysTotal: n, keysAttended: attended, keysScored: n,
                                 flops: 2 * Double(d * n) + 2 * Double(d * attended),
                                 costFraction: n > 0 ? Double(attended) / Double(n) : 0, sampled: m)
        return AttentionResult(output: output, logSumExp: lse, cost: cost, weights: weights)
    }
}

extension PreparedOracleSampling {
    /// The first index i < count with cdf[i] > u (count − 1 if none: u rounded up to the total),
    /// so a zero-probability key is never drawn. Branch-free (Khuong & Morin's layout-agnostic
    /// form): the branchy binary search mispredicted on half of its 14 levels at 16K keys and
    /// was about a third of oracle sampling's per-query time after scoring (perf, 16K capture).
    @inline(__always)
    static func firstAbove(_ u: Double, cdf: UnsafePointer<Double>, count: Int) -> Int {
        var base = 0, length = count
        while length > 1 {
            let half = length / 2
            base = cdf[base + half - 1] <= u ? base + half : base
            length -= half
        }
        return base
    }
}

extension OracleSampling {
    static let descriptor = MethodDescriptor(
        name: "oracle_sampling",
        summary: "mean of values drawn i.i.d. with replacement from the exact softmax (the authors' oracle baseline)",
        parameters: [
            ParameterDoc("budget", "draws as a fraction of keys, in (0, 1]: m = max(1, int(budget · kv_len))"),
            ParameterDoc("static", "attend sink, local window and generated exactly; sample only the middle", default: "false"),
        ]
    ) { p in
        let budget = try KeyBudget.read(&p, allowCount: false)
        return try OracleSampling(budget: budget, static: try p.bool("static", default: false))
    }
}
