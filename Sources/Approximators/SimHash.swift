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
    }

    /// W with i.i.d. N(0, 1) entries drawn in row-major order W[0,0], W[0,1], …
    public init(dim: Int, bits: Int, tables: Int, generator: inout SeededGenerator) {
        self.init(dim: dim, bits: bits, tables: tables, matrix: generator.gaussians(dim * bits * tables))
    }

    /// code_l(x) = Σ_j 1[x·W[:, lK+j] > 0]·2^j for every table l. Exact for all K ≤ 16 (the
    /// authors pack codes through fp16, exact only up to K = 11). `projected` is scratch of K·L.
    func codes(_ x: UnsafePointer<Float>, projected: UnsafeMutablePointer<Float>, into codes: UnsafeMutablePointer<UInt32>) {
        matrix.withUnsafeBufferPointer { w in
            MatrixProduct.multiply(x, w.baseAddress!, into: projected, m: 1, n: columnCount, k: dim)
        }
        packCodes(projected, into: codes, stride: 1)
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

/// L SimHash tables over a set of rows in the CSR layout of the authors' CPU kernel: per table the
/// row indices sorted by code (counting sort) and 2^K + 1 bucket offsets, so a query walks only
/// its own L buckets and never scans every row's codes.
///
/// Memory: L·count·4 bytes of indices plus L·(2^K + 1)·4 bytes of offsets.
public struct SimHashTables: Sendable {
    public let projection: SimHashProjection
    /// Rows hashed.
    public let count: Int
    /// Table l's row indices, sorted by code, at indices[l·count ..< (l+1)·count].
    public let indices: [Int32]
    /// Table l's bucket b holds indices[l·count + offsets[l·(2^K+1) + b] ..< … + offsets[l·(2^K+1) + b + 1]].
    public let offsets: [Int32]

    var bucketCount: Int { 1 << projection.bits }

    /// Hashes `rows` (row-major [count, projection.dim]).
    public init(rows: [Float], projection: SimHashProjection) {
        precondition(rows.count % projection.dim == 0, "SimHashTables: rows must be [count, \(projection.dim)]")
        self = rows.withUnsafeBufferPointer { r in
            SimHashTables(rows: r.baseAddress!, count: rows.count / projection.dim, projection: projection)
        }
    }

    init(rows: UnsafePointer<Float>, count: Int, projection: SimHashProjection) {
        let L = projection.tables, d = projection.dim, buckets = 1 << projection.bits
        precondition(count < Int(Int32.max), "SimHashTables: too many rows")
        // Codes table-major: codes[l·count + i], so each table's counting sort reads one run.
        // Single-threaded: the replay parallelises over heads (a nested pool here also skewed the
        // one-thread benchmark). Rows go through the product in blocks whose K·L projections
        // (48 × 1500 floats ≈ 290 KB) stay in L2 until packed.
        var codes = [UInt32](repeating: 0, count: L * count)
        let kl = projection.columnCount, block = 48
        let projected = UnsafeMutablePointer<Float>.allocate(capacity: block * kl)
        defer { projected.deallocate() }
        codes.withUnsafeMutableBufferPointer { cb in
            projection.matrix.withUnsafeBufferPointer { wb in
                var start = 0
                while start < count {
                    let rowsInBlock = min(block, count - start)
                    MatrixProduct.multiply(rows + start * d, wb.baseAddress!, into: projected, m: rowsInBlock, n: kl, k: d)
                    for r in 0..<rowsInBlock {
                        projection.packCodes(projected + r * kl, into: cb.baseAddress! + start + r, stride: count)
                    }
                    start += rowsInBlock
                }
            }
        }
        var indices = [Int32](repeating: 0, count: L * count)
        var offsets = [Int32](repeating: 0, count: L * (buckets + 1))
        var cursor = [Int32](repeating: 0, count: buckets)
        for l in 0..<L {
            let o = l * (buckets + 1)
            for i in 0..<count { offsets[o + Int(codes[l * count + i]) + 1] += 1 }
            for b in 0..<buckets { offsets[o + b + 1] += offsets[o + b] }
            for b in 0..<buckets { cursor[b] = offsets[o + b] }
            for i in 0..<count {
                let code = Int(codes[l * count + i])
                indices[l * count + Int(cursor[code])] = Int32(i)
                cursor[code] += 1
            }
        }
        self.projection = projection
        self.count = count
        self.indices = indices
        self.offsets = offsets
    }

    /// The query's code in every table (length L).
    public func codes(for query: [Float]) -> [UInt32] {
        precondition(query.count == projection.dim, "codes: query length must be \(projection.dim)")
        var out = [UInt32](repeating: 0, count: projection.tables)
        var projected = [Float](repeating: 0, count: projection.columnCount)
        query.withUnsafeBufferPointer { q in
            projected.withUnsafeMutableBufferPointer { p in
                out.withUnsafeMutableBufferPointer { projection.codes(q.baseAddress!, projected: p.baseAddress!, into: $0.baseAddress!) }
            }
        }
        return out
    }

    /// Rows whose code equals the query's in at least `threshold` tables, in discovery order.
    public func retrieve(codes: [UInt32], threshold: Int) -> [Int32] {
        precondition(codes.count == projection.tables, "retrieve: need one code per table")
        let counters = UnsafeMutablePointer<UInt8>.allocate(capacity: max(count, 1))
        counters.initialize(repeating: 0, count: max(count, 1))
        defer { counters.deallocate() }
        var out = [Int32](repeating: 0, count: count)
        let found = codes.withUnsafeBufferPointer { c in
            out.withUnsafeMutableBufferPointer { o in
                retrieve(codes: c.baseAddress!, threshold: threshold, counters: counters, into: o.baseAddress!)
            }
        }
        return Array(out[0..<found])
    }

    /// Walks the query's L buckets counting collisions per row in `counters` (all zero on entry,
    /// all zero again on return); writes rows reaching `threshold` to `out` (capacity ≥ count).
    /// Counters saturate at the threshold, so UInt8 suffices for any L.
    func retrieve(codes: UnsafePointer<UInt32>, threshold: Int, counters: UnsafeMutablePointer<UInt8>,
                  into out: UnsafeMutablePointer<Int32>) -> Int {
        precondition(threshold >= 1 && threshold <= 255, "retrieve: threshold must be in 1...255")
        let L = projection.tables, buckets = bucketCount, t = UInt8(threshold)
        var found = 0
        indices.withUnsafeBufferPointer { idx in
            offsets.withUnsafeBufferPointer { off in
                for l in 0..<L {
                    let o = l * (buckets + 1) + Int(codes[l])
                    let table = idx.baseAddress! + l * count
                    for e in Int(off[o])..<Int(off[o + 1]) {
                        let row = Int(table[e])
                        let c = counters[row]
                        if c < t {
                            counters[row] = c + 1
                            if c + 1 == t { out[found] = Int32(row); found += 1 }
                        }
                    }
                }
                for l in 0..<L {
                    let o = l * (buckets + 1) + Int(codes[l])
                    let table = idx.baseAddress! + l * count
                    for e in Int(off[o])..<Int(off[o + 1]) { counters[Int(table[e])] = 0 }
                }
            }
        }
        return found
    }

    /// Bucket entries a query with these codes walks (its index work, reported in docs/methods.md).
    func bucketEntries(codes: UnsafePointer<UInt32>) -> Int {
        let buckets = bucketCount
        var total = 0
        for l in 0..<projection.tables {
            let o = l * (buckets + 1) + Int(codes[l])
            total += Int(offsets[o + 1] - offsets[o])
        }
        return total
    }
}
