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

    /// Every block sum equals Σ q_w·q_x in plain integers, at the operands' extremes too: Q8_0 weights of −128
    /// and 127 against activations of ±127 (blocks of ±1 and 0), where an unsigned-by-signed byte product with
    /// the wrong operand split would saturate its 16-bit pair sums.
    @Test func blockSumsAreExactAtTheExtremes() {
        var rng = SeededGenerator(seed: 41)
        for trial in 0..<40 {
            // 256 activations: extreme blocks (every element ±1 or 0, so q = ±127 or 0) and random ones.
            let x: [Float] = (0..<256).map { j in
                (trial + j / 32) % 2 == 0 ? Float([-1, 0, 1].randomElement(using: &rng)!) : Float.random(in: -2...2, using: &rng)
            }
            let a = x.withUnsafeBufferPointer { QuantizedActivation($0.baseAddress!, count: 256) }
            let q = (0..<256).map { Int32(a.quants[$0]) }
            var bytes = (0..<256).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if trial % 3 == 0 { for j in 0..<bytes.count { bytes[j] = [0x80, 0x7F, 0xFF, 0x0F, 0xF0].randomElement(using: &rng)! } }
            bytes.withUnsafeBytes { raw in
                let p = raw.baseAddress!
                let u = raw.bindMemory(to: UInt8.self)
                for block in 0..<4 {
                    let x0 = 32 * block
                    // Q8_0: [d][32 × Int8]
                    var ref: Int32 = 0
                    for j in 0..<32 { ref += Int32(Int8(bitPattern: u[2 + j])) * q[x0 + j] }
                    #expect(QuantizedDot.q8_0Block(p, a, x0) == ref, "Q8_0 trial \(trial) block \(block)")
                    // Q4_0: [d][16 nibble pairs], value q − 8; Q4_1: [d][m][16], value q.
                    var ref40: Int32 = 0, ref41: Int32 = 0
                    for j in 0..<16 {
                        ref40 += (Int32(u[2 + j] & 15) - 8) * q[x0 + j] + (Int32(u[2 + j] >> 4) - 8) * q[x0 + j + 16]
                        ref41 += Int32(u[4 + j] & 15) * q[x0 + j] + Int32(u[4 + j] >> 4) * q[x0 + j + 16]
                    }
                    #expect(QuantizedDot.q4_0Block(p, a, x0) == ref40, "Q4_0 trial \(trial) block \(block)")
                    #expect(QuantizedDot.q4_1Block(p, a, x0) == ref41, "Q4_1 trial \(trial) block \(block)")
                    // Q5_0: [d][32 fifth bits][16], value (nibble | bit << 4) − 16.
                    var high: UInt32 = 0
                    for k in 0..<4 { high |= UInt32(u[2 + k]) << (8 * k) }
                    var ref50: Int32 = 0
                    for j in 0..<32 {
                        let nibble = j < 16 ? Int32(u[6 + j] & 15) : Int32(u[6 + j - 16] >> 4)
                        ref50 += (nibble | Int32((high >> j) & 1) << 4 - 16) * q[x0 + j]
                    }
                    #expect(QuantizedDot.q5_0Block(p, a, x0) == ref50, "Q5_0 trial \(trial) block \(block)")
                }
                // Q4_K group: low nibbles against block 2g, high nibbles against block 2g + 1.
                for group in 0..<4 {
                    var lo: Int32 = 0, hi: Int32 = 0
                    for j in 0..<32 {
                        lo += Int32(u[32 * group + j] & 15) * q[64 * group + j]
                        hi += Int32(u[32 * group + j] >> 4) * q[64 * group + 32 + j]
                    }
                    let got = QuantizedDot.q4_KGroup(u.baseAddress! + 32 * group, a, 2 * group)
                    #expect(got == (lo, hi), "Q4_K trial \(trial) group \(group)")
                }
                // Q6_K quarter k of a half: element 32k + l has low bits from ql[l + 32(k & 1)] (low nibble for
                // k < 2), high bits (qh[l] >> 2k) & 3, value q − 32; sums over l < 16 and l ≥ 16.
                let ql = u.baseAddress!, qh = u.baseAddress! + 64
                for k in 0..<4 {
                    var first: Int32 = 0, second: Int32 = 0
                    for l in 0..<32 {
                        let byte = ql[l + 32 * (k & 1)]
                        let low = k < 2 ? Int32(byte & 15) : Int32(byte >> 4)
                        let value = (low | Int32((qh[l] >> (2 * k)) & 3) << 4) - 32
                        if l < 16 { first += value * q[32 * (k + 2) + l] } else { second += value * q[32 * (k + 2) + l] }
                    }
                    let got = QuantizedDot.q6_KQuarter(ql, qh, k, a, k + 2)
                    #expect(got == (first, second), "Q6_K trial \(trial) quarter \(k)")
                }
            }
        }
    }

    /// Q4_K's eight scales and mins decoded at once equal `Dequantize.scaleMin` one sub-block at a time.
    @Test func q4_KScalesAndMinsMatchScaleMin() {
        var rng = SeededGenerator(seed: 45)
        for _ in 0..<500 {
            let bytes = (0..<12).map { _ in UInt8.random(in: 0...255, using: &rng) }
            bytes.withUnsafeBytes { raw in
                let (s, m) = QuantizedDot.q4_KScalesAndMins(raw.baseAddress!)
                for j in 0..<8 {
                    let (sj, mj) = Dequantize.scaleMin(raw.baseAddress!, j)
                    #expect(s[j] == Float(sj) && m[j] == Float(mj), "sub-block \(j) of \(bytes)")
                }
            }
        }
    }

    /// The spellings of the byte products (vpdpbusd, pmaddubsw, plain Int32 in portable builds) agree on
    /// the total and on each half, at the callers' bound |a·b + a'·b'| ≤ 32 767 (a ≤ 128 against |b| ≤ 127,
    /// and a ≤ 255 against |b| ≤ 64).
    @Test func bytePairSpellingsAgree() {
        var rng = SeededGenerator(seed: 43)
        for trial in 0..<200 {
            let wide = trial % 2 == 0
            let a = (0..<32).map { _ in UInt8.random(in: 0...(wide ? 255 : 128), using: &rng) }
            let b = (0..<32).map { _ in Int8.random(in: wide ? -64...64 : -127...127, using: &rng) }
            // `bytePairSums` is the spelling this build uses: vpdpbusd in a native release build on a CPU with
            // AVX512-VNNI (`swift test -c release`), pmaddubsw otherwise on x86-64.
            let (s, p, d) = a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    (QuantizedDot.bytePairSumsSaturating(ap.baseAddress!, bp.baseAddress!),
                     QuantizedDot.bytePairSumsPlain(ap.baseAddress!, bp.baseAddress!),
                     QuantizedDot.bytePairSums(ap.baseAddress!, bp.baseAddress!))
                }
            }
            var first: Int32 = 0, second: Int32 = 0
            for j in 0..<16 { first += Int32(a[j]) * Int32(b[j]); second += Int32(a[j + 16]) * Int32(b[j + 16]) }
            for lanes in [s, p, d] {
                #expect(lanes.lowHalf.wrappedSum() == first && lanes.highHalf.wrappedSum() == second, "trial \(trial)")
            }
        }
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

    /// Q5_0 stored for decode (`storedForDecode`: planar groups when a row holds a multiple of four blocks, Q8_0
    /// blocks otherwise) gives the same bits as the Q5_0 kernels in both products (integer decode and
    /// dequantised prefill), including rows whose block count is not a multiple of the kernels' four-block
    /// step; the fixture tensor is checked too.
    @Test func q5_0StoredForDecodeGivesTheSameBits() throws {
        var rng = SeededGenerator(seed: 31)
        var cases: [WeightMatrix] = []
        for columns in [32, 4 * 32, 7 * 32, 28 * 32] {
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
            let planar = w.columns % 128 == 0
            #expect(widened.type == (planar ? .q5_0 : .q8_0) && (widened.planes != nil) == planar)
            #expect(widened.rows == w.rows && widened.columns == w.columns)
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
