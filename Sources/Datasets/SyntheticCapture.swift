import Foundation
import Kernels

/// Shape and seed of a synthetic capture: one sample whose last `steps` of `tokens` positions
/// are the captured queries.
public struct SyntheticCaptureSpec: Sendable, Equatable {
    /// T, prompt plus generated steps.
    public var tokens: Int = 4096
    public var layers: Int = 4, heads: Int = 8, kvHeads: Int = 2, headDim: Int = 64, steps: Int = 16
    public var seed: UInt64 = 0

    public init(
        tokens: Int = 4096, layers: Int = 4, heads: Int = 8, kvHeads: Int = 2, headDim: Int = 64,
        steps: Int = 16, seed: UInt64 = 0
    ) {
        self.tokens = tokens
        self.layers = layers
        self.heads = heads
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.steps = steps
        self.seed = seed
    }

    public var promptTokens: Int { tokens - steps }
    public var queryPositions: [Int] { Array(promptTokens..<tokens) }

    public var header: CaptureHeader {
        CaptureHeader(
            model: "synthetic", numLayers: layers, numHeads: heads, numKVHeads: kvHeads, headDim: headDim,
            extra: ["source": "SyntheticCapture seed \(seed)"])
    }
}

/// Synthetic captures with the attention structure of a decoder LLM, for testing and sweeping
/// approximators without a model.
///
/// Generative model, per layer l and KV head g (d = headDim, logits are q·k/√d):
/// - Keys are not centred: k_t = μ + z_t with a shared mean μ (‖μ‖ = 1.5·√d, random direction)
///   and z_t ~ N(0, I_d). The common component makes raw cosines between keys large, the effect
///   that key centring addresses in MagicPIG.
/// - Sink: k_0 additionally gets γ·v (γ = 10, v a unit direction), and queries carry ρ_h·v, so
///   position 0 gets a logit boost G_h = β_h·ρ_h·γ = 2 + 5·c + U(0, 1) logit units (c below):
///   a mild sink in spread-out heads, a dominant one in concentrated heads.
/// - Relevant keys: each captured step s has a unit "topic" direction u_s and R = 8 positions
///   drawn uniformly in [1, position_s]; each such key gets α_r·u_s added (α_r = 6·U(0.7, 1)).
///   Heads of one group share keys, hence relevant positions.
/// - Queries: q_{h,s} = √d·β_h·(u_s + ρ_h·v + 0.3·ξ/√d), ξ ~ N(0, I_d). Tail logits then spread
///   with standard deviation ≈ β_h·√(1 + ρ_h²), relevant keys stand ≈ β_h·α_r above them.
/// - Values: v_t = ν + z'_t with a mean ν (‖ν‖ = √d / 2) and z'_t ~ N(0, I_d).
/// - Concentration: β_h = 0.25·12^c with c = frac(0.5 + 0.618034·(l·heads + h)), so every layer mixes
///   spread-out heads (c ≈ 0: β ≈ 0.25, mass in the long tail) and concentrated ones (c ≈ 1: β ≈ 3,
///   mass on the sink and the few relevant keys); `concentration(layer:head:heads:)` exposes c.
///
/// Randomness comes from `SeededGenerator(seed:stream:)` with streams (layer, kvHead, purpose) and
/// (layer, head, purpose), so a layer's bytes depend only on (seed, layer) and not on thread count.
public enum SyntheticCapture {
    static let relevantPerQuery = 8
    static let relevantStrength: Float = 6
    static let sinkStrength: Float = 10
    static let queryNoise: Float = 0.3

    /// c ∈ [0, 1): the head's concentration knob (low: spread-out attention, high: concentrated).
    public static func concentration(layer: Int, head: Int, heads: Int) -> Double {
        let x = 0.5 + 0.618_034 * Double(layer * heads + head)
        return x - x.rounded(.down)
    }

    /// Inverse temperature of a head's logits, β = 0.25·12^c.
    public static func inverseTemperature(layer: Int, head: Int, heads: Int) -> Float {
        Float(0.25 * pow(12, concentration(layer: layer, head: head, heads: heads)))
    }

    /// One layer of the synthetic capture described by `spec`; deterministic in (seed, layer).
    public static func generate(_ spec: SyntheticCaptureSpec, layer: Int) -> CaptureLayer {
        precondition(spec.steps >= 1 && spec.tokens > spec.steps, "a synthetic capture needs 1 <= steps < tokens")
        precondition(spec.kvHeads >= 1 && spec.heads % spec.kvHeads == 0, "heads must be a multiple of kvHeads")
        precondition(spec.headDim >= 1 && (0..<spec.layers).contains(layer), "headDim >= 1 and layer < layers")
        let t = spec.tokens, d = spec.headDim, s = spec.steps, group = spec.heads / spec.kvHeads
        let positions = spec.queryPositions
        var keys = [Float](repeating: 0, count: spec.kvHeads * t * d)
        var values = [Float](repeating: 0, count: spec.kvHeads * t * d)
        var queries = [Float](repeating: 0, count: spec.heads * s * d)
        let l = UInt64(layer)
        keys.withUnsafeMutableBufferPointer { kb in
            values.withUnsafeMutableBufferPointer { vb in
                queries.withUnsafeMutableBufferPointer { qb in
                    let k = SendablePointer(kb.baseAddress!), v = SendablePointer(vb.baseAddress!)
                    let q = SendablePointer(qb.baseAddress!)
                    Parallel.forEach(spec.kvHeads) { g in
                        var directions = SeededGenerator(seed: spec.seed, stream: [l, UInt64(g), 0])
                        let mu = unitVector(&directions, d, scale: 1.5 * Float(d).squareRoot())
                        let sink = unitVector(&directions, d, scale: 1)
                        let nu = unitVector(&directions, d, scale: Float(d).squareRoot() / 2)
                        let topics = (0..<s).map { _ in unitVector(&directions, d, scale: 1) }

                        let keysOfHead = k.pointer + g * t * d
                        var keyNoise = SeededGenerator(seed: spec.seed, stream: [l, UInt64(g), 1])
                        fill(keysOfHead, rows: t, mean: mu, &keyNoise)
                        Vector.axpy(sinkStrength, sink, keysOfHead, count: d)
                        for step in 0..<s {
                            for _ in 0..<relevantPerQuery {
                                let row = 1 + Int(directions.next() % UInt64(positions[step]))
                                let alpha = relevantStrength * Float(0.7 + 0.3 * directions.nextUniform())
                                Vector.axpy(alpha, topics[step], keysOfHead + row * d, count: d)
                            }
                        }
                        var valueNoise = SeededGenerator(seed: spec.seed, stream: [l, UInt64(g), 2])
                        fill(v.pointer + g * t * d, rows: t, mean: nu, &valueNoise)

                        for h in (g * group)..<((g + 1) * group) {
                            var rng = SeededGenerator(seed: spec.seed, stream: [l, UInt64(h), 3])
                            let beta = inverseTemperature(layer: layer, head: h, heads: spec.heads)
                            let c = Float(concentration(layer: layer, head: h, heads: spec.heads))
                            let sinkGap = 2 + 5 * c + Float(rng.nextUniform())
                            let rho = sinkGap / (beta * sinkStrength)
                            let scale = Float(d).squareRoot() * beta
                            for step in 0..<s {
                                let row = q.pointer + (h * s + step) * d
                                for i in 0..<d {
                                    let noise = queryNoise * Float(rng.nextGaussian()) / Float(d).squareRoot()
                                    row[i] = scale * (topics[step][i] + rho * sink[i] + noise)
                                }
                            }
                        }
                    }
                }
            }
        }
        return CaptureLayer(
            layer: layer, tokenCount: t, queryCount: s, headDim: d, numHeads: spec.heads, numKVHeads: spec.kvHeads,
            keys: keys, values: values, queries: queries)
    }

    /// Writes all layers of `spec` as one sample (index 0) with prompt_tokens = tokens − steps and
    /// query positions prompt_tokens ..< tokens, generating one layer at a time.
    public static func write(
        _ spec: SyntheticCaptureSpec, to path: String, elementType: CaptureElementType = .float16
    ) throws {
        let writer = try CaptureWriter(path: path, header: spec.header, elementType: elementType)
        try writer.writeSample(index: 0, promptTokens: spec.promptTokens, queryPositions: spec.queryPositions)
        for layer in 0..<spec.layers {
            try writer.writeLayer(sample: 0, generate(spec, layer: layer))
        }
        try writer.finish()
    }

    private static func unitVector(_ rng: inout SeededGenerator, _ d: Int, scale: Float) -> [Float] {
        var x = (0..<d).map { _ in Float(rng.nextGaussian()) }
        let n = x.withUnsafeBufferPointer { Vector.norm($0.baseAddress!, count: d) }
        for i in 0..<d { x[i] *= scale / max(n, .leastNormalMagnitude) }
        return x
    }

    /// rows × d entries of mean + N(0, 1).
    private static func fill(_ out: UnsafeMutablePointer<Float>, rows: Int, mean: [Float], _ rng: inout SeededGenerator) {
        let d = mean.count
        for r in 0..<rows {
            let row = out + r * d
            for i in 0..<d { row[i] = mean[i] + Float(rng.nextGaussian()) }
        }
    }
}
