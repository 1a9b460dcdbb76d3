import Foundation
import Kernels
import Testing
@testable import Datasets

@Suite struct SyntheticCaptureTests {
    static let small = SyntheticCaptureSpec(tokens: 1024, layers: 2, heads: 8, kvHeads: 2, headDim: 32, steps: 4, seed: 5)

    @Test func shapesAndPositions() {
        let spec = Self.small
        let layer = SyntheticCapture.generate(spec, layer: 1)
        #expect(layer.layer == 1 && layer.tokenCount == 1024 && layer.queryCount == 4)
        #expect(layer.keys.count == 2 * 1024 * 32 && layer.values.count == 2 * 1024 * 32)
        #expect(layer.queries.count == 8 * 4 * 32)
        #expect(spec.promptTokens == 1020 && spec.queryPositions == [1020, 1021, 1022, 1023])
        #expect(layer.keys.allSatisfy(\.isFinite) && layer.queries.allSatisfy(\.isFinite))
    }

    @Test func deterministicInSeedAndLayer() {
        let a = SyntheticCapture.generate(Self.small, layer: 0)
        let b = SyntheticCapture.generate(Self.small, layer: 0)
        #expect(a.keys == b.keys && a.values == b.values && a.queries == b.queries)
        var other = Self.small
        other.seed = 6
        let c = SyntheticCapture.generate(other, layer: 0)
        #expect(a.keys != c.keys && a.values != c.values && a.queries != c.queries)
        let d = SyntheticCapture.generate(Self.small, layer: 1)
        #expect(a.keys != d.keys)
    }

    @Test func keysShareALargeMean() {
        let layer = SyntheticCapture.generate(Self.small, layer: 0)
        let keys = layer.keys(kvHead: 0), d = layer.headDim, t = layer.tokenCount
        var mean = [Float](repeating: 0, count: d)
        for r in 0..<t { for i in 0..<d { mean[i] += keys[r * d + i] / Float(t) } }
        let meanNorm = mean.dot(mean).squareRoot()
        // ‖μ‖ = 1.5·√d against per-key noise of norm ≈ √d: far from centred.
        #expect(meanNorm > 1.2 * Float(d).squareRoot())
    }

    /// Exact attention of one head at its last step: fraction of mass on the top 2% of keys.
    static func top2PercentMass(_ layer: CaptureLayer, head: Int, position: Int) -> Float {
        let d = layer.headDim, n = position + 1
        let keys = layer.keys(kvHead: layer.kvHead(forHead: head))
        let q = layer.query(head: head, step: layer.queryCount - 1)
        var logits = (0..<n).map { r in
            keys.withUnsafeBufferPointer { Vector.dot(q, $0.baseAddress! + r * d, count: d) } / Float(d).squareRoot()
        }
        Softmax.inPlace(&logits, count: n)
        let top = max(1, n / 50)
        return logits.sorted(by: >).prefix(top).reduce(0, +)
    }

    @Test func concentrationDiffersAcrossHeads() {
        let spec = Self.small
        let layer = SyntheticCapture.generate(spec, layer: 0)
        let c = (0..<spec.heads).map { SyntheticCapture.concentration(layer: 0, head: $0, heads: spec.heads) }
        let spread = c.indices.min { c[$0] < c[$1] }!, peaked = c.indices.max { c[$0] < c[$1] }!
        let low = Self.top2PercentMass(layer, head: spread, position: spec.tokens - 1)
        let high = Self.top2PercentMass(layer, head: peaked, position: spec.tokens - 1)
        #expect(low < 0.5, "the most spread-out head keeps most mass in the tail (top-2% mass \(low))")
        #expect(high > 0.9, "the most concentrated head puts almost all mass on few keys (top-2% mass \(high))")
        // Every layer mixes both kinds.
        for l in 0..<4 {
            let cs = (0..<8).map { SyntheticCapture.concentration(layer: l, head: $0, heads: 8) }
            #expect(cs.min()! < 0.3 && cs.max()! > 0.7)
        }
    }

    @Test func writesAReadableCapture() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("synthetic.h5")
        let spec = SyntheticCaptureSpec(tokens: 64, layers: 2, heads: 4, kvHeads: 2, headDim: 8, steps: 3, seed: 1)
        try SyntheticCapture.write(spec, to: path, elementType: .float32)
        let capture = try CaptureFile(path: path)
        #expect(capture.header.model == "synthetic" && capture.header.numLayers == 2)
        #expect(capture.samples == [CaptureSampleInfo(index: 0, promptTokens: 61, queryPositions: [61, 62, 63], tokenCount: 64, layers: [0, 1])])
        let read = try capture.readLayer(sample: 0, layer: 1)
        let generated = SyntheticCapture.generate(spec, layer: 1)
        #expect(read.keys == generated.keys && read.queries == generated.queries)
    }
}
