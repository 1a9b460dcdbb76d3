import Approximators
import Testing
@testable import Harness

@Suite struct MetricsTests {
    @Test func distributionMatchesHandComputedValues() {
        let d = Distribution([1, 2, 3, 4, 10])
        #expect(d.count == 5)
        #expect(abs(d.mean - 4) < 1e-12)
        // sample sd = sqrt(((9+4+1+0+36)/4)) = sqrt(12.5); half width 1.96*sqrt(12.5/5)
        #expect(abs((d.ci95High - d.mean) - 1.96 * (12.5 / 5).squareRoot()) < 1e-12)
        // numpy.percentile([1,2,3,4,10], 90) = 7.6
        #expect(abs(d.p90 - 7.6) < 1e-12)
        #expect(d.max == 10)
    }

    func reference(weights: [Float], output: [Float]) -> ExactReference.Query {
        ExactReference.summarise(
            AttentionResult(output: output, logSumExp: 0,
                            cost: AttentionCost(keysTotal: weights.count, keysAttended: weights.count, keysScored: weights.count, flops: 0, costFraction: 1),
                            weights: SparseAttentionWeights(indices: (0..<Int32(weights.count)).map { $0 }, weights: weights)),
            recallFraction: 0.25)
    }

    func result(_ output: [Float], _ indices: [Int32], _ weights: [Float]) -> AttentionResult {
        AttentionResult(output: output, logSumExp: 0,
                        cost: AttentionCost(keysTotal: 8, keysAttended: indices.count, keysScored: indices.count, flops: 0, costFraction: 0),
                        weights: SparseAttentionWeights(indices: indices, weights: weights))
    }

    @Test func errorsAgainstClosedForms() {
        let exact = reference(weights: [0.5, 0.3, 0.1, 0.1, 0, 0, 0, 0], output: [3, 4])
        // Top 25 % of 8 keys = 2 keys: {0, 1}, mass 0.8.
        #expect(Set(exact.topIndices) == [0, 1])
        #expect(abs(exact.topMass - 0.8) < 1e-6)

        let same = QueryMetrics.measure(result([3, 4], [0, 1, 2, 3], [0.5, 0.3, 0.1, 0.1]), against: exact)
        #expect(same.relL2 < 1e-7 && abs(same.oneMinusCos) < 1e-7 && same.tv! < 1e-7 && same.recall == 1)

        // ô = (0, 5): ‖ô−o‖ = sqrt(9+1), ‖o‖ = 5; cos = 20/25.
        // Weights all on key 4 (exact weight 0): TV = 1; recall 0.
        let off = QueryMetrics.measure(result([0, 5], [4], [1]), against: exact)
        #expect(abs(off.relL2 - (10.0).squareRoot() / 5) < 1e-6)
        #expect(abs(off.oneMinusCos - 0.2) < 1e-6)
        #expect(abs(off.tv! - 1) < 1e-6)
        #expect(off.recall == 0)

        // Half the mass moved from key 0 to key 1: TV = 0.25 ; recall 1 (both top keys attended).
        let moved = QueryMetrics.measure(result([3, 4], [0, 1, 2, 3], [0.25, 0.55, 0.1, 0.1]), against: exact)
        #expect(abs(moved.tv! - 0.25) < 1e-6)
        #expect(moved.recall == 1)
    }

    @Test func concentrationClasses() {
        #expect(Concentration(topMass: 0.2) == .spread)
        #expect(Concentration(topMass: 0.6) == .mixed)
        #expect(Concentration(topMass: 0.95) == .concentrated)
    }

    @Test func csvQuotesWhenNeeded() {
        var t = CSVTable(columns: ["a", "b"])
        t.append(["x,y", "say \"hi\""])
        t.append(["1", "2"])
        #expect(t.text == "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n1,2\n")
    }
}

/// The machine block of every manifest.
@Suite struct MachineInfoTests {
    @Test func vectorExtensionsComeFromTheFlags() {
        let avx2 = "fpu vme sse4_2 avx f16c fma avx2 bmi2"
        #expect(MachineInfo.vectorExtensions(flags: avx2) == ["sse4_2", "avx", "avx2", "fma", "f16c"])
        let zen4 = avx2 + " avx512f avx512dq avx512bw avx512vl avx512_bf16 avx512_vnni"
        #expect(MachineInfo.vectorExtensions(flags: zen4).suffix(4) == ["avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16"])
        // Whole flags only: avx512 prefixes do not count as avx512f.
        #expect(MachineInfo.vectorExtensions(flags: "avx512 avx5") == [])
        #expect(MachineInfo.current().cores >= 1)
    }
}
