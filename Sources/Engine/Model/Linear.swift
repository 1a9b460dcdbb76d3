import Kernels

extension LanguageModel {
    /// Rows of a prefill product taken per backend call. The backend packs all of X once per call, so
    /// the block sets how often the same activations are re-packed: at 64 rows that was 12 % of a
    /// 4096-token Qwen prefill (`sgemm_oncopy`), at 256 rows 4 %, and the prefill ≈ 6–10 % faster
    /// (sixth session, docs/engine.md). A matrix is cut into an even number of blocks of at most 256
    /// rows (896 rows → 4 × 224, not 3 × 256 + 128, which left one of two threads a quarter idle), a
    /// function of the matrix alone, so the numbers do not depend on the thread count.
    static func weightBlockRows(_ rows: Int) -> Int {
        let blocks = (rows + 255) / 256
        let even = max(2, blocks + blocks % 2)
        return max(8, ((rows + even - 1) / even + 7) / 8 * 8)
    }

    /// Y = X·Wᵀ (+ bias) for each (W, Y, bias), X being `rows` rows of W.columns floats.
    ///
    /// One row (decode): fused dequantise·dot over row chunks of all the matrices in one parallel pass, so
    /// Q, K and V (or gate and up) share one dispatch. Several rows (prefill): each block of weight rows is
    /// dequantised once and multiplied by all of X in the backend.
    func linear(_ x: UnsafePointer<Float>, rows: Int, _ products: [(WeightMatrix, UnsafeMutablePointer<Float>, [Float]?)]) {
        let xp = SendablePointer(UnsafeMutablePointer(mutating: x))
        let outputs = products.map { SendablePointer($0.1) }
        let matrices = products.map(\.0)
        if rows == 1 {
            var chunks: [(Int, Range<Int>)] = []
            for (i, w) in matrices.enumerated() {
                let size = max(16, (w.rows + 8 * threads - 1) / (8 * threads))
                for lo in stride(from: 0, to: w.rows, by: size) { chunks.append((i, lo..<min(w.rows, lo + size))) }
            }
            let work = chunks
            // One 8-bit copy of x for every matrix with an integer kernel (all share the input).
            let columns = matrices[0].columns
            let quantized = matrices.contains { QuantizedDot.hasInt8Kernel($0.type) } && columns % 32 == 0
                ? QuantizedActivation(x, count: columns) : nil
            Parallel.forEach(work.count, threads: threads) { c in
                let (i, range) = work[c]
                matrices[i].multiply(xp.pointer, quantized: quantized, rows: range, into: outputs[i].pointer + range.lowerBound)
            }
        } else {
            var blocks: [(Int, Range<Int>)] = []
            for (i, w) in matrices.enumerated() {
                let size = Self.weightBlockRows(w.rows)
                for lo in stride(from: 0, to: w.rows, by: size) { blocks.append((i, lo..<min(w.rows, lo + size))) }
            }
            let backend = self.backend, work = blocks
            Parallel.forEach(work.count, threads: threads) { b in
                let (i, range) = work[b]
                let w = matrices[i]
                let dense = UnsafeMutablePointer<Float>.allocate(capacity: range.count * w.columns)
                defer { dense.deallocate() }
                w.dequantize(rows: range, into: dense)
                backend.matrixProduct(m: rows, n: range.count, k: w.columns, a: xp.pointer, lda: w.columns,
                                      b: dense, ldb: w.columns, transposeB: true,
                                      c: outputs[i].pointer + range.lowerBound, ldc: w.rows)
            }
        }
        for (w, y, bias) in products {
            guard let bias else { continue }
            for t in 0..<rows { for j in 0..<w.rows { y[t * w.rows + j] += bias[j] } }
        }
    }
}
