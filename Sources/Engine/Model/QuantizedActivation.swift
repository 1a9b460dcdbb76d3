/// A decode activation row quantised to 8 bits per 32-element block, as llama.cpp does before its quantised
/// matrix-vector products (its Q8_0/Q8_1): x[j] ≈ d_b·q[j] with d_b = max|x| / 127 over the block, q = round(x/d).
///
/// The weight kernels in `QuantizedDot+Int8.swift` then form Σ q_w·q_x in integers per block and apply the two
/// scales once per block. Products of 8-bit operands vectorise to byte multiply-adds (pmaddubsw on x86-64, 32
/// products per AVX2 instruction; plain Int32 products in portable builds) where the float kernels convert every
/// weight to float first: the first integer kernels (pmaddwd) already made SmolLM2's Q4_1 matrix-vector product
/// ≈ 2× faster (docs/engine.md, "Speed"). The rounding of x adds a relative error of about 1/254 per element,
/// the same as llama.cpp's.
final class QuantizedActivation: @unchecked Sendable {
    let count: Int
    let quants: UnsafeMutablePointer<Int8>
    /// d per block.
    let scales: UnsafeMutablePointer<Float>
    /// d·Σq per block (Σx as the kernels see it), for the offset terms of Q4_1 and Q4_K.
    let sums: UnsafeMutablePointer<Float>
    /// |q| and the sign of q (0 or −1, as a mask) per element: the kernels of the types whose weights fit in
    /// 6 bits multiply |q| (unsigned) by the weight with q's sign (`QuantizedDot.bytePairSums`).
    let magnitudes: UnsafeMutablePointer<UInt8>
    let signs: UnsafeMutablePointer<Int8>
    /// Σq over each 16-element half block (two per block): the offset terms of the VNNI kernels, which multiply
    /// the unsigned stored weight (q_w + offset) by q and subtract offset·Σq (`QuantizedDot+VNNI.swift`).
    let halfSums: UnsafeMutablePointer<Int32>

    static let blockSize = 32

    /// `count` must be a multiple of 32 (every quantised type's row length is).
    init(_ x: UnsafePointer<Float>, count: Int) {
        precondition(count % Self.blockSize == 0, "activation length must be a multiple of 32")
        self.count = count
        let blocks = count / Self.blockSize
        quants = .allocate(capacity: max(count, 1))
        scales = .allocate(capacity: max(blocks, 1))
        sums = .allocate(capacity: max(blocks, 1))
        magnitudes = .allocate(capacity: max(count, 1))
        signs = .allocate(capacity: max(count, 1))
        halfSums = .allocate(capacity: max(2 * blocks, 1))
        for b in 0..<blocks {
            let xb = x + b * Self.blockSize, qb = quants + b * Self.blockSize
            var amax: Float = 0
            for j in 0..<Self.blockSize { amax = max(amax, abs(xb[j])) }
            let d = amax / 127
            let inverse: Float = d == 0 ? 0 : 1 / d
            var sum: Int32 = 0
            for j in 0..<Self.blockSize {
                let q = Int8((xb[j] * inverse).rounded())    // roundf, as ggml
                qb[j] = q
                sum &+= Int32(q)
                if j == 15 { halfSums[2 * b] = sum }
                signs[b * Self.blockSize + j] = q < 0 ? -1 : 0
                magnitudes[b * Self.blockSize + j] = q.magnitude
            }
            scales[b] = d
            sums[b] = d * Float(sum)
            halfSums[2 * b + 1] = sum &- halfSums[2 * b]
        }
    }

    deinit {
        quants.deallocate()
        scales.deallocate()
        sums.deallocate()
        magnitudes.deallocate()
        signs.deallocate()
        halfSums.deallocate()
    }
}
