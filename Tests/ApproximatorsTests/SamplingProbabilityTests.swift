import Foundation
import Testing
@testable import Approximators

@Suite struct SamplingProbabilityTests {
    /// The u table of shared/reference/magicpig.md (≥ 2 collisions), to 4 decimals.
    static let table: [(K: Int, L: Int, u: [Double])] = [
        (8, 75, [0.0044, 0.0351, 0.1796, 0.5651, 0.9474, 1.0000]),
        (10, 150, [0.0007, 0.0097, 0.0867, 0.4433, 0.9434, 1.0000]),
        (10, 170, [0.0009, 0.0123, 0.1070, 0.5081, 0.9660, 1.0000]),
        (11, 300, [0.0005, 0.0097, 0.1063, 0.5653, 0.9883, 1.0000]),
    ]
    static let cosines = [-0.2, 0.0, 0.2, 0.4, 0.6, 0.8]

    @Test func matchesPublishedTable() {
        for row in Self.table {
            for (c, expected) in zip(Self.cosines, row.u) {
                let u = samplingProbability(cosine: c, K: row.K, L: row.L)
                #expect(abs(u - expected) < 0.5e-4, "K\(row.K) L\(row.L) cos \(c): \(u) vs \(expected)")
            }
        }
    }

    @Test func thresholdOneIsOneMinusMissingEveryTable() {
        for c in [-0.5, 0.0, 0.3, 0.9] {
            let p = pow(1 - acos(c) / Double.pi, 10)
            #expect(abs(samplingProbability(cosine: c, K: 10, L: 150, threshold: 1) - (1 - pow(1 - p, 150))) < 1e-12)
        }
    }

    /// Small p, where 1 − (1−p)^L − L·p·(1−p)^(L−1) cancels: u ≈ C(L,2)·p² must survive.
    @Test func smallProbabilitiesKeepTheirDigits() {
        let c = -0.9, K = 16, L = 150
        let p = pow(1 - acos(c) / Double.pi, Double(K))
        let u = samplingProbability(cosine: c, K: K, L: L)
        let series = Double(L * (L - 1) / 2) * p * p * (1 - 2 * p * Double(L - 2) / 3)
        #expect(u > 0)
        #expect(abs(u - series) / series < 1e-3)
    }

    @Test func boundsAndMonotonicity() {
        #expect(samplingProbability(cosine: 1, K: 10, L: 150) == 1)
        #expect(samplingProbability(cosine: -1, K: 10, L: 150) == 0)
        #expect(samplingProbability(cosine: 2, K: 10, L: 150) == 1)  // clamped
        #expect(samplingProbability(cosine: .nan, K: 10, L: 150).isFinite)
        var last = -1.0
        for i in 0...40 {
            let u = samplingProbability(cosine: -1 + Double(i) / 20, K: 10, L: 150)
            #expect(u >= last)
            last = u
        }
    }
}
