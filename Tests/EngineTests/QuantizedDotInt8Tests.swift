import Foundation
import Testing
import Kernels
@testable import Engine

/// The integer kernels (8-bit activations) against the float reference, on the `gguf`-checked fixture tensors.
@Suite struct QuantizedDotInt8Tests {
    /// The activation blocks: |x − d·q| ≤ d/2, d = max|x|/127, and the stored sums are d·Σq.
    @Test func activationQuantisationRoundsToTheBlockScale() {
        var rng = SeededGenerator(seed: 21)
        var x = (0..<96).map { _ in Float.random(in: -3...3, using: &rng) }
        for j in 32..<64 { x[j] = 0 }                          // an all-zero block gets d = 0, q = 0
        let a = x.withUnsafeBufferPointer { QuantizedActivation($0.baseAddress!, count: 96) }
        for b in 0..<3 {
            let block = x[(32 * b)..<(32 * b + 32)]
            let d = block.map { abs($0) }.max()! / 127
            #expect(a.scales[b] == d)
            var sum = 0
            for j in 0..<32 {
                let q = Int(a.quants[32 * b + j])
                sum += q
                #expect(abs(x[32 * b + j] - d * Float(q)) <= d / 2 * 1.0001)
            }
            #expect(abs(a.sums[b] - d * Float(sum)) <= 1e-5 * max(1, abs(a.sums[b])))
        }
    }

    /// Each integer kernel equals Σ w·x̂ over the dequantised row and the de-quantised activation x̂ = d·q
    /// (to Float rounding), and Σ w·x to within the activation's rounding, Σ|w|·d/2.
    @Test func integerKernelsMatchTheFloatReference() throws {
        let file = try Fixture.open("quant_types.gguf")
        var rng = SeededGenerator(seed: 12)
        var checked: Set<GGMLType> = []
        for info in file.tensors where QuantizedDot.hasInt8Kernel(info.type) {
            let w = try WeightMatrix(file: file, name: info.name)
            let x = (0..<w.columns).map { _ in Float.random(in: -1...1, using: &rng) }
            let a = x.withUnsafeBufferPointer { QuantizedActivation($0.baseAddress!, count: w.columns) }
            var y = [Float](repeating: 0, count: w.rows), reference = y
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { w.multiply(xp.baseAddress!, quantized: a, rows: 0..<w.rows, into: $0.baseAddress!) }
                reference.withUnsafeMutableBufferPointer { w.multiply(xp.baseAddress!, rows: 0..<w.rows, into: $0.baseAddress!) }
            }
            let dense = try file.dequantize(info)
            for r in 0..<w.rows {
                var onQuantised = 0.0, exact = 0.0, magnitude = 0.0, rounding = 0.0
                for j in 0..<w.columns {
                    let wj = Double(dense[r * w.columns + j]), d = Double(a.scales[j / 32])
                    onQuantised += wj * d * Double(a.quants[j])
                    exact += wj * Double(x[j])
                    magnitude += abs(wj * Double(x[j]))
                    rounding += abs(wj) * d / 2
                }
                let label = "\(info.name) (\(info.type)) row \(r)"
                #expect(abs(Double(y[r]) - onQuantised) <= 1e-5 * max(magnitude, 1e-3), "\(label)")
                #expect(abs(Double(y[r]) - exact) <= rounding * 1.001 + 1e-5 * magnitude, "\(label)")
                #expect(abs(Double(reference[r]) - exact) <= 1e-5 * max(magnitude, 1e-3), "\(label) float path")
            }
            checked.insert(info.type)
        }
        #expect(checked == [.q8_0, .q4_0, .q4_1, .q5_0, .q4_K, .q6_K], "fixture types with an integer kernel: \(checked)")
    }

    /// Types without an integer kernel fall back to the float path, bit for bit.
    @Test func otherTypesUseTheFloatPath() throws {
        let file = try Fixture.open("quant_types.gguf")
        var rng = SeededGenerator(seed: 13)
        for info in file.tensors where info.type.isDequantisable && !QuantizedDot.hasInt8Kernel(info.type) && info.rowLength % 32 == 0 {
            let w = try WeightMatrix(file: file, name: info.name)
            let x = (0..<w.columns).map { _ in Float.random(in: -1...1, using: &rng) }
            let a = x.withUnsafeBufferPointer { QuantizedActivation($0.baseAddress!, count: w.columns) }
            var y = [Float](repeating: 0, count: w.rows), reference = y
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { w.multiply(xp.baseAddress!, quantized: a, rows: 0..<w.rows, into: $0.baseAddress!) }
                reference.withUnsafeMutableBufferPointer { w.multiply(xp.baseAddress!, rows: 0..<w.rows, into: $0.baseAddress!) }
            }
            #expect(y == reference, "\(info.type)")
        }
    }

    /// Q5_0 re-stored as Q8_0 blocks for decode (`storedForDecode`) gives the same bits as the Q5_0 kernels in
    /// both products (integer decode and dequantised prefill), including rows whose block count is not a
    /// multiple of the kernels' four-block step; the fixture tensor is checked too.
    @Test func q5_0StoredForDecodeGivesTheSameBits() throws {
        var rng = SeededGenerator(seed: 31)
        var cases: [WeightMatrix] = []
        for columns in [32, 7 * 32, 28 * 32] {
            let rows = 9
            var bytes = [UInt8](repeating: 0, count: rows * columns / 32 * 22)
            for b in 0 ..< bytes.count / 22 {
                let d = Float16(Float.random(in: -0.05...0.05, using: &rng))
                withUnsafeBytes(of: d.bitPattern.littleEndian) { bytes[22 * b] = $0[0]; bytes[22 * b + 1] = $0[1] }
                for k in 2..<22 { bytes[22 * b + k] = UInt8.random(in: 0...255, using: &rng) }
            }
            cases.append(WeightMatrix(rows: rows, columns: columns, type: .q5_0, bytes: bytes))
        }
        let file = try Fixture.open("quant_types.gguf")
        for info in file.tensors where info.type == .q5_0 { cases.append(try WeightMatrix(file: file, name: info.name)) }
        #expect(cases.count >= 4, "the fixture holds a Q5_0 tensor")
        for w in cases {
            let widened = w.storedForDecode()
            #expect(widened.type == .q8_0 && widened.rows == w.rows && widened.columns == w.columns)
            let x = (0..<w.columns).map { _ in Float.random(in: -2...2, using: &rng) }
            let a = x.withUnsafeBufferPointer { QuantizedActivation($0.baseAddress!, count: w.columns) }
            var y = [Float](repeating: 0, count: w.rows), yWide = y
            var dense = [Float](repeating: 0, count: w.rows * w.columns), denseWide = dense
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { w.multiply(xp.baseAddress!, quantized: a, rows: 0..<w.rows, into: $0.baseAddress!) }
                yWide.withUnsafeMutableBufferPointer { widened.multiply(xp.baseAddress!, quantized: a, rows: 0..<w.rows, into: $0.baseAddress!) }
            }
            dense.withUnsafeMutableBufferPointer { w.dequantize(rows: 0..<w.rows, into: $0.baseAddress!) }
            denseWide.withUnsafeMutableBufferPointer { widened.dequantize(rows: 0..<w.rows, into: $0.baseAddress!) }
            #expect(y.map(\.bitPattern) == yWide.map(\.bitPattern), "\(w.rows) × \(w.columns) decode product")
            #expect(dense.map(\.bitPattern) == denseWide.map(\.bitPattern), "\(w.rows) × \(w.columns) dequantised rows")
        }
        // Other types are left as stored.
        let f32 = WeightMatrix(rows: 1, columns: 2, values: [1, 2])
        #expect(f32.storedForDecode().type == .f32)
    }
}
