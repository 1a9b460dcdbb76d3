import Foundation

/// Deterministic random numbers: the same seed gives the same numbers on every machine and
/// thread count. xoshiro256** seeded through SplitMix64 (Blackman & Vigna).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var sm = seed
        s0 = SeededGenerator.splitMix(&sm)
        s1 = SeededGenerator.splitMix(&sm)
        s2 = SeededGenerator.splitMix(&sm)
        s3 = SeededGenerator.splitMix(&sm)
    }

    /// A generator for one item of a structured experiment, e.g. (seed, layer, kvHead): the
    /// stream for an item does not depend on the order items are processed in.
    public init(seed: UInt64, stream: [UInt64]) {
        self.init(seed: SeededGenerator.derive(seed, stream))
    }

    public static func derive(_ seed: UInt64, _ stream: [UInt64]) -> UInt64 {
        var h = seed ^ 0x9E37_79B9_7F4A_7C15
        for v in stream {
            var x = h ^ (v &+ 0x632B_E59B_D9B4_E019)
            h = splitMix(&x)
        }
        return h
    }

    @inline(__always)
    static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Standard normal N(0, 1) by Box–Muller (one value per call; simple and reproducible).
    public mutating func nextGaussian() -> Double {
        var u1 = nextUniform()
        while u1 <= Double.leastNormalMagnitude { u1 = nextUniform() }
        let u2 = nextUniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// `count` i.i.d. N(0, 1) values as Float.
    public mutating func gaussians(_ count: Int) -> [Float] {
        (0..<count).map { _ in Float(nextGaussian()) }
    }
}
