import Kernels

/// MagicPIG's L SimHash tables in the CSR layout of the authors' CPU kernel — per table the row
/// indices sorted by code (counting sort) and 2^K + 1 bucket offsets, so a query walks only its own
/// L buckets — with 16-bit row indices: the rows are cut into segments of at most 65 536, and each
/// (segment, table) holds its rows' local indices sorted by code plus its bucket offsets.
///
/// Why: the authors' tables cost L × n × 4 bytes per KV head (14 GB for L = 150 at 96K tokens on
/// Llama-3.1-8B). Local UInt16 indices halve that: L × n × 2 bytes plus L × (2^K + 1) × 4 bytes of
/// offsets per segment (0.6 MB at K10 L150), 40 MB instead of 79 MB per KV head at 128K tokens.
/// The sampled set does not depend on the segment size (tests check it against brute force).
public struct SegmentedSimHashTables: Sendable {
    public let projection: SimHashProjection
    /// Rows hashed.
    public let count: Int
    /// Rows per segment (≤ 65 536 so a local index fits UInt16).
    public let segmentRows: Int
    /// Segment s, table l: local indices at indices[s·segmentRows·L + l·c_s ..< + c_s], c_s = rows in s.
    let indices: [UInt16]
    /// Segment s, table l, bucket b: offsets[(s·L + l)·(2^K + 1) + b].
    let offsets: [UInt32]

    var bucketCount: Int { 1 << projection.bits }
    var segments: Int { (count + segmentRows - 1) / segmentRows }

    /// Bytes of indices and offsets.
    public var bytes: Int { indices.count * 2 + offsets.count * 4 }

    /// Hashes rows [count, projection.dim] (row-major).
    public init(rows: UnsafePointer<Float>, count: Int, projection: SimHashProjection, segmentRows: Int = 65536) {
        precondition((1...65536).contains(segmentRows), "SegmentedSimHashTables: segments hold 1...65536 rows")
        let L = projection.tables, d = projection.dim, buckets = 1 << projection.bits, kl = projection.columnCount
        let segments = (count + segmentRows - 1) / segmentRows
        var indices = [UInt16](repeating: 0, count: L * count)
        var offsets = [UInt32](repeating: 0, count: segments * L * (buckets + 1))
        let block = 48
        let projected = UnsafeMutablePointer<Float>.allocate(capacity: block * kl)
        let codes = UnsafeMutablePointer<UInt32>.allocate(capacity: max(1, L * min(count, segmentRows)))
        var cursor = [UInt32](repeating: 0, count: buckets)
        defer { projected.deallocate(); codes.deallocate() }
        projection.matrix.withUnsafeBufferPointer { wb in
            for s in 0..<segments {
                let first = s * segmentRows, c = min(segmentRows, count - first)
                // Codes table-major within the segment, as SimHashTables (same product, same bits).
                var start = 0
                while start < c {
                    let m = min(block, c - start)
                    MatrixProduct.multiply(rows + (first + start) * d, wb.baseAddress!, into: projected, m: m, n: kl, k: d)
                    for r in 0..<m { projection.packCodes(projected + r * kl, into: codes + start + r, stride: c) }
                    start += m
                }
                for l in 0..<L {
                    let o = (s * L + l) * (buckets + 1), base = first * L + l * c
                    for i in 0..<c { offsets[o + Int(codes[l * c + i]) + 1] += 1 }
                    for b in 0..<buckets { offsets[o + b + 1] += offsets[o + b] }
                    for b in 0..<buckets { cursor[b] = offsets[o + b] }
                    for i in 0..<c {
                        let code = Int(codes[l * c + i])
                        indices[base + Int(cursor[code])] = UInt16(truncatingIfNeeded: i)
                        cursor[code] += 1
                    }
                }
            }
        }
        self.projection = projection
        self.count = count
        self.segmentRows = segmentRows
        self.indices = indices
        self.offsets = offsets
    }

    public init(rows: [Float], projection: SimHashProjection, segmentRows: Int = 65536) {
        precondition(rows.count % projection.dim == 0, "SegmentedSimHashTables: rows must be [count, \(projection.dim)]")
        self = rows.withUnsafeBufferPointer {
            SegmentedSimHashTables(rows: $0.baseAddress ?? UnsafePointer(bitPattern: 8)!, count: rows.count / projection.dim,
                                   projection: projection, segmentRows: segmentRows)
        }
    }

    /// The query's code in every table (length L).
    public func codes(for query: [Float]) -> [UInt32] {
        precondition(query.count == projection.dim, "codes: query length must be \(projection.dim)")
        var out = [UInt32](repeating: 0, count: projection.tables)
        var projected = [Float](repeating: 0, count: projection.columnCount)
        query.withUnsafeBufferPointer { q in
            projected.withUnsafeMutableBufferPointer { p in
                out.withUnsafeMutableBufferPointer { projection.codes(q.baseAddress!, rows: 1, projected: p.baseAddress!, into: $0.baseAddress!) }
            }
        }
        return out
    }

    /// Rows whose code equals the query's in at least `threshold` tables, ascending.
    public func retrieve(codes: [UInt32], threshold: Int) -> [Int32] {
        precondition(codes.count == projection.tables, "retrieve: need one code per table")
        let counters = UnsafeMutablePointer<UInt8>.allocate(capacity: count + 8)
        counters.initialize(repeating: 0, count: count + 8)
        var out = [Int32](repeating: 0, count: count)
        defer { counters.deallocate() }
        let found = codes.withUnsafeBufferPointer { c in
            out.withUnsafeMutableBufferPointer { retrieve(codes: c.baseAddress!, threshold: threshold, counters: counters, into: $0.baseAddress!) }
        }
        return Array(out[0..<found])
    }

    /// Walks the query's L buckets in every segment counting collisions per row in `counters`
    /// (capacity ≥ count + 8, all zero on entry and again on return), then scans the counters in
    /// row order: the sampled rows come out ascending, so the gather that follows reads memory in
    /// address order. Returns |S|; `out` needs capacity ≥ count.
    public func retrieve(codes: UnsafePointer<UInt32>, threshold: Int, counters: UnsafeMutablePointer<UInt8>,
                         into out: UnsafeMutablePointer<Int32>) -> Int {
        precondition(threshold >= 1 && threshold <= 255, "retrieve: threshold must be in 1...255")
        let L = projection.tables, buckets = bucketCount
        indices.withUnsafeBufferPointer { idx in
            offsets.withUnsafeBufferPointer { off in
                for s in 0..<segments {
                    let first = s * segmentRows, c = min(segmentRows, count - first)
                    let seg = counters + first
                    for l in 0..<L {
                        let o = (s * L + l) * (buckets + 1) + Int(codes[l])
                        let table = idx.baseAddress! + first * L + l * c
                        for e in Int(off[o])..<Int(off[o + 1]) {
                            let row = Int(table[e])
                            let v = seg[row]
                            seg[row] = v == 255 ? v : v + 1
                        }
                    }
                }
            }
        }
        // Eight counters per word; a word can only hold a sampled row if some byte reaches the
        // threshold: for 2 that is a bit above bit 0 set (mask 0xFE…), for 1 any bit.
        let words = (count + 7) / 8
        let raw = UnsafeMutableRawPointer(counters)
        let mask: UInt64 = threshold == 1 ? ~0 : (threshold == 2 ? 0xFEFE_FEFE_FEFE_FEFE : ~0)
        let t = UInt8(threshold)
        var found = 0
        for w in 0..<words {
            let word = raw.loadUnaligned(fromByteOffset: w * 8, as: UInt64.self)
            if word == 0 { continue }
            if word & mask != 0 {
                for b in 0..<8 where counters[w * 8 + b] >= t && w * 8 + b < count {
                    out[found] = Int32(w * 8 + b)
                    found += 1
                }
            }
            raw.storeBytes(of: 0, toByteOffset: w * 8, as: UInt64.self)
        }
        return found
    }
}
