import Foundation
import Testing
import Kernels
@testable import Engine

/// The pieces of the forward pass against closed forms and naive Double arithmetic, with no model file.
@Suite struct ForwardUnitTests {
    @Test(arguments: [RoPEStyle.adjacentPairs, .halfSplit])
    func ropeMatchesClosedForm(style: RoPEStyle) {
        let heads = 3, d = 16, theta: Float = 10_000
        var rng = SeededGenerator(seed: 7)
        let x = (0..<(heads * d)).map { _ in Float.random(in: -2...2, using: &rng) }
        for position in [0, 1, 5, 37, 100] {
            var y = x
            y.withUnsafeMutableBufferPointer {
                LayerMath.rope($0.baseAddress!, heads: heads, headDim: d, dimensions: d, position: position,
                               theta: theta, style: style)
            }
            for h in 0..<heads {
                for i in 0..<(d / 2) {
                    let (a, b) = style == .adjacentPairs ? (2 * i, 2 * i + 1) : (i, i + d / 2)
                    let angle = Double(position) * pow(Double(theta), -2 * Double(i) / Double(d))
                    let x0 = Double(x[h * d + a]), x1 = Double(x[h * d + b])
                    #expect(abs(Double(y[h * d + a]) - (x0 * cos(angle) - x1 * sin(angle))) < 1e-4)
                    #expect(abs(Double(y[h * d + b]) - (x0 * sin(angle) + x1 * cos(angle))) < 1e-4)
                }
            }
        }
    }

    /// The KV cache keeps what it was given, rounded to its type, through growth and copies; its Float rows
    /// for the prefill products, its head snapshots and its decode views all read the same numbers. head_dim 24
    /// runs the 16-lane conversion and its scalar tail.
    @Test(arguments: [KVDType.float32, .float16])
    func kvCacheStoresRoundedRows(dtype: KVDType) {
        let layers = 2, heads = 3, d = 24, tokens = 37
        var rng = SeededGenerator(seed: 11)
        let k = (0..<(tokens * heads * d)).map { _ in Float.random(in: -40...40, using: &rng) }
        let v = (0..<(tokens * heads * d)).map { _ in Float.random(in: -1...1, using: &rng) }
        let cache = KVCache(layerCount: layers, kvHeadCount: heads, headDim: d, dtype: dtype, capacity: 4)
        // Rows 0..<5 of every layer, a growth (which keeps the `count` rows stored so far), then the rest.
        func store(_ rows: Range<Int>) {
            k.withUnsafeBufferPointer { kb in v.withUnsafeBufferPointer { vb in
                for l in 0..<layers {
                    cache.store(layer: l, start: rows.lowerBound, tokens: rows.count,
                                keys: kb.baseAddress! + rows.lowerBound * heads * d,
                                values: vb.baseAddress! + rows.lowerBound * heads * d)
                }
            } }
            cache.setCount(rows.upperBound)
        }
        cache.reserve(5)
        store(0..<5)
        cache.reserve(tokens)
        store(5..<tokens)
        let twin = cache.copy()
        for l in 0..<layers {
            let rows = cache.floatRows(layer: l, rows: tokens, threads: 2)
            for h in 0..<heads {
                func column(_ x: [Float]) -> [Float] {
                    var out: [Float] = []
                    for t in 0..<tokens { let base: Int = (t * heads + h) * d; out += x[base..<(base + d)] }
                    return dtype.rounded(out)
                }
                let wantK = column(k), wantV = column(v)
                for c in [cache, twin] {
                    let snapshot = c.headCache(layer: l, head: h)
                    #expect(snapshot.keys == wantK && snapshot.values == wantV)
                }
                #expect(Array(UnsafeBufferPointer(start: rows.keys[h], count: tokens * d)) == wantK)
                #expect(Array(UnsafeBufferPointer(start: rows.values[h], count: tokens * d)) == wantV)
                let view = cache.head(layer: l, h)
                #expect(view.dtype == dtype)
                #expect(dtype.bytesPerElement == (dtype == .float16 ? 2 : 4))
            }
        }
        if dtype == .float16 { #expect(dtype.rounded(k) != k) }
        // Rounding in place equals the array rounding.
        var x = k
        x.withUnsafeMutableBufferPointer { dtype.round($0.baseAddress!, count: $0.count) }
        #expect(x == dtype.rounded(k))
    }

    @Test func rmsNormMatchesDouble() {
        var rng = SeededGenerator(seed: 3)
        let n = 67
        let x = (0..<n).map { _ in Float.random(in: -3...3, using: &rng) }
        let w = (0..<n).map { _ in Float.random(in: 0.5...1.5, using: &rng) }
        var y = [Float](repeating: 0, count: n)
        LayerMath.rmsNorm(x, weight: w, epsilon: 1e-5, count: n, into: &y)
        let ms = x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(n)
        for i in 0..<n {
            let want = Double(x[i]) / (ms + 1e-5).squareRoot() * Double(w[i])
            #expect(abs(Double(y[i]) - want) < 1e-5 * max(1, abs(want)))
        }
    }

    /// Each fused dequantise·dot kernel (and the dequantise-then-dot fallback) against the dequantised
    /// rows of the `gguf`-checked fixture tensors, one tensor per type.
    @Test func fusedDotMatchesDequantisedRows() throws {
        let file = try Fixture.open("quant_types.gguf")
        var rng = SeededGenerator(seed: 11)
        for info in file.tensors where info.type.isDequantisable {
            let w = try WeightMatrix(file: file, name: info.name)
            let x = (0..<w.columns).map { _ in Float.random(in: -1...1, using: &rng) }
            var y = [Float](repeating: 0, count: w.rows)
            y.withUnsafeMutableBufferPointer { w.multiply(x, rows: 0..<w.rows, into: $0.baseAddress!) }
            let dense = try file.dequantize(info)
            for r in 0..<w.rows {
                var want = 0.0, magnitude = 0.0
                for j in 0..<w.columns {
                    want += Double(dense[r * w.columns + j]) * Double(x[j])
                    magnitude += abs(Double(dense[r * w.columns + j]) * Double(x[j]))
                }
                #expect(abs(Double(y[r]) - want) <= 1e-5 * max(magnitude, 1e-3), "\(info.name) (\(info.type)) row \(r)")
            }
        }
    }

    @Test func swiftBackendMatchesNaiveProduct() {
        var rng = SeededGenerator(seed: 5)
        let m = 9, n = 21, k = 30
        for transposeB in [false, true] {
            let a = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &rng) }
            let b = (0..<(n * k)).map { _ in Float.random(in: -1...1, using: &rng) }
            var c = [Float](repeating: 0, count: m * n)
            c.withUnsafeMutableBufferPointer {
                SwiftBackend().matrixProduct(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: transposeB ? k : n,
                                             transposeB: transposeB, c: $0.baseAddress!, ldc: n)
            }
            for i in 0..<m { for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += Double(a[i * k + p]) * Double(transposeB ? b[j * k + p] : b[p * n + j]) }
                #expect(abs(Double(c[i * n + j]) - s) < 1e-4)
            } }
        }
    }
}
