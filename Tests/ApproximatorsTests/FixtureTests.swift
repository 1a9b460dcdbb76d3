import Foundation
import Testing
@testable import Approximators

/// Swift against the independent numpy reference (scripts/reference_numpy.py); regenerate the
/// fixtures with `python3 scripts/make_approximator_fixtures.py`.
struct ApproximatorFixture: Decodable {
    struct Params: Decodable {
        var K: Int?, L: Int?, threshold: Int?, centering: Bool?
        var budget: Double?, count: Int?
        var `static`: Bool?
    }
    struct Expected: Decodable {
        var output: [Double]
        var lse: Double
        var selected: [Int]
    }
    var name: String
    var method: String
    var dim: Int
    var sink: Int
    var local: Int
    var prompt_keys: [Float]
    var prompt_values: [Float]
    var generated_keys: [Float]
    var generated_values: [Float]
    var queries: [Float]
    var params: Params
    var W: [Float]?
    var draws: [[Int]]?
    var expected: [Expected]

    static let names = ["magicpig_k4_l12_t2_centred", "magicpig_k4_l12_t1_raw", "magicpig_k6_l20_t2_raw_gen",
                        "magicpig_k3_l6_t1_centred", "topk_budget", "topk_count_static", "topk_budget_static",
                        "exact", "oracle_draws"]

    static func load(_ name: String) throws -> ApproximatorFixture {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"),
                               "fixture \(name).json missing; run scripts/make_approximator_fixtures.py")
        return try JSONDecoder().decode(ApproximatorFixture.self, from: Data(contentsOf: url))
    }

    func approximator() throws -> any AttentionApproximator {
        switch method {
        case "magicpig":
            let w = SimHashProjection(dim: dim, bits: params.K!, tables: params.L!, matrix: W!)
            return try MagicPIG(projection: w, threshold: params.threshold!, centering: params.centering!)
        case "topk":
            let budget: KeyBudget = params.count.map { .count($0) } ?? .fraction(params.budget!)
            return try TopK(budget: budget, static: params.static ?? false)
        case "oracle_sampling": return try OracleSampling(budget: .fraction(params.budget!))
        default: return ExactAttention()
        }
    }

    /// Prepared on the prompt, generated tokens appended.
    func preparedHead() throws -> any PreparedAttentionHead {
        let head = try approximator().prepare(
            cache: HeadCache(headDim: dim, keys: prompt_keys, values: prompt_values),
            context: HeadContext(layer: 0, kvHead: 0, seed: 0,
                                 attentionProtocol: AttentionProtocol(sinkTokens: sink, localWindow: local)))
        for t in 0..<(generated_keys.count / dim) {
            head.append(key: Array(generated_keys[(t * dim)..<((t + 1) * dim)]),
                        value: Array(generated_values[(t * dim)..<((t + 1) * dim)]))
        }
        return head
    }
}

@Suite struct FixtureTests {
    @Test(arguments: ApproximatorFixture.names)
    func matchesNumpyReference(_ name: String) throws {
        let fx = try ApproximatorFixture.load(name)
        let head = try fx.preparedHead()
        #expect(fx.expected.count == fx.queries.count / fx.dim)
        for (e, expected) in fx.expected.enumerated() {
            let q = Array(fx.queries[(e * fx.dim)..<((e + 1) * fx.dim)])
            let r: AttentionResult
            if let draws = fx.draws {
                let oracle = try #require(head as? PreparedOracleSampling)
                r = oracle.attend(query: q, recordWeights: true, draws: draws[e])
            } else {
                r = head.attend(query: q, recordWeights: true)
            }
            #expect(maxAbsDifference(r.output, expected.output) < 2e-5, "\(name) query \(e)")
            #expect(abs(Double(r.logSumExp) - expected.lse) < 1e-4, "\(name) query \(e)")
            let kept = try #require(r.weights).indices.map(Int.init)
            switch fx.method {
            case "magicpig":
                let middle = fx.sink..<(fx.prompt_keys.count / fx.dim - fx.local)
                #expect(kept.filter(middle.contains) == expected.selected, "\(name) query \(e): S")
            default:
                #expect(kept == expected.selected, "\(name) query \(e): kept keys")
            }
        }
    }
}
