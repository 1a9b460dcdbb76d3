import Kernels

/// The random projection W ∈ R^{d × K·L} of MagicPIG's SimHash: table l uses columns
/// [l·K, (l+1)·K), bit j of table l is 1[x·W[:, l·K + j] > 0].
///
/// Codes come from `MatrixProduct` over the row-major W (x·W for all K·L columns at once).
public struct SimHashProjection: Sendable, Equatable {
    public let dim: Int
    /// K: bits per table.
    public let bits: Int
    /// L: number of tables.
    public let tables: Int
    /// Column c of W at columns[c·dim ..< (c+1)·dim].
    public let columns: [Float]
    /// The row-major [dim, K·L] matrix (numpy layout), the B operand of the hashing product.
    public let matrix: [Float]
    /// W's 16-column panels packed once (`MatrixProduct.packPanels`), so a product does not copy them out of W's
    /// strided rows on every call (a decode step hashes a few queries against all of W).
    let panels: [Float]

    public var columnCount: Int { bits * tables }

    /// From W given row-major as [dim, K·L] (numpy's `W` layout, W[i, c] at i·K·L + c).
    public init(dim: Int, bits: Int, tables: Int, matrix: [Float]) {
        precondition((1...16).contains(bits), "SimHash: K must be in 1...16, got \(bits)")
        precondition(tables >= 1, "SimHash: L must be positive")
        let kl = bits * tables
        precondition(matrix.count == dim * kl, "SimHash: W must be [\(dim), \(kl)], got \(matrix.count) values")
        var cols = [Float](repeating: 0, count: dim * kl)
        for i in 0..<dim {
            for c in 0..<kl { cols[c * dim + i] = matrix[i * kl + c] }
        }
        self.dim = dim
        self.bits = bits
        self.tables = tables
        self.columns = cols
        self.matrix = matrix
        panels = matrix.withUnsafeBufferPointer { MatrixProduct.packPanels($0.baseAddress!, n: kl, k: dim) }
    }

    /// x·W for m rows of x ([m, dim]) into projected ([m, K·L]), through the packed panels.
    func project(_ x: UnsafePointer<Float>, rows m: Int, into projected: UnsafeMutablePointer<Float>) {
        matrix.withUnsafeBufferPointer { w in
            panels.withUnsafeBufferPointer { pw in
                MatrixProduct.multiply(x, w.baseAddress!, panels: pw.baseAddress, into: projected, m: m, n: columnCount, k: dim)
            }
        }
    }

    /// W with i.i.d. N(0, 1) entries drawn in row-major order W[0,0], W[0,1], …
    public init(dim: Int, bits: Int, tables: Int, generator: inout SeededGenerator) {
        self.init(dim: dim, bits: bits, tables: tables, matrix: generator.gaussians(dim * bits * tables))
    }

    /// code_l(x) = Σ_j 1[x·W[:, lK+j] > 0]·2^j for every table l of m rows of x ([m, dim]), in one
    /// product: W (768 KB at d 128, K10 L150 — more than L2) is read once per six rows instead of
    /// once per query. Exact for all K ≤ 16 (the authors pack codes through fp16, exact only up to
    /// K = 11). codes[r·L + l]; `projected` is scratch of m·K·L. A row's codes do not depend on m.
    func codes(_ x: UnsafePointer<Float>, rows m: Int, projected: UnsafeMutablePointer<Float>,
               into codes: UnsafeMutablePointer<UInt32>) {
        project(x, rows: m, into: projected)
        for r in 0..<m { packCodes(projected + r * columnCount, into: codes + r * tables, stride: 1) }
    }

    /// Sign bits of one row of x·W packed into L codes, written to codes[l·stride]. Branch-free:
    /// the signs are random, so a branch per bit mispredicts half the time.
    @inline(__always)
    func packCodes(_ projected: UnsafePointer<Float>, into codes: UnsafeMutablePointer<UInt32>, stride: Int) {
        var c = 0
        for l in 0..<tables {
            var code: UInt32 = 0
            for j in 0..<bits {
                code |= UInt32(truncatingIfNeeded: (projected[c] > 0 ? 1 : 0) as Int) << UInt32(j)
                c += 1
            }
            codes[l * stride] = code
        }
    }
}
