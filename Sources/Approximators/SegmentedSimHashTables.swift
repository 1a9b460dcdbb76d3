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
    /// (Huge-page memory: the walk reads one bucket per table at scattered places.)
    let indices: LargeBuffer<UInt16>
    /// Segment s, table l, bucket b: offsets[(s·L + l)·(2^K + 1) + b].
    let offsets: LargeBuffer<UInt32>

    var bucketCount: Int { 1 << projection.bits }
    var segments: Int { (count + segmentRows - 1) / segmentRows }

    /// Bytes of indices and offsets.
    public var bytes: Int { indices.count * 2 + offsets.count * 4 }

    /// Hashes rows [count, projection.dim] (row-major).
    public init(rows: UnsafePointer<Float>, count: Int, projection: SimHashProjection, segmentRows: Int = 65536) {
        precondition((1...65536).contains(segmentRows), "SegmentedSimHashTables: segments hold 1...65536 rows")
        let L = projection.tables, d = projection.dim, buckets = 1 << projection.bits, kl = projection.columnCount
        let segments = (count + segmentRows - 1) / segmentRows
        let indexBuffer = LargeBuffer<UInt16>(zeroed: L * count)
        let offsetBuffer = LargeBuffer<UInt32>(zeroed: segments * L * (buckets + 1))
        let indices = indexBuffer.pointer, offsets = offsetBuffer.pointer
        let block = 48
        let projected = UnsafeMutablePointer<Float>.allocateLines(block * kl)
        let codes = UnsafeMutablePointer<UInt32>.allocate(capacity: max(1, L * min(count, segmentRows)))
        var cursor = [UInt32](repeating: 0, count: buckets)
        defer { projected.deallocate(); codes.deallocate() }
        for s in 0..<segments {
            let first = s * segmentRows, c = min(segmentRows, count - first)
            // Codes table-major within the segment, as SimHashTables (same product, same bits).
            var start = 0
            while start < c {
                let m = min(block, c - start)
                projection.project(rows + (first + start) * d, rows: m, into: projected)
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
        self.projection = projection
        self.count = count
        self.segmentRows = segmentRows
        self.indices = indexBuffer
        self.offsets = offsetBuffer
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
        let counters = UnsafeMutablePointer<UInt8>.allocate(capacity: max(count, 1))
        counters.initialize(repeating: 0, count: max(count, 1))
        let words = Self.bitmapWords(count)
        let sampled = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        sampled.initialize(repeating: 0, count: words)
        defer { counters.deallocate(); sampled.deallocate() }
        codes.withUnsafeBufferPointer { mark(codes: $0.baseAddress!, threshold: threshold, counters: counters, sampled: sampled) }
        var out: [Int32] = []
        for w in 0..<words {
            var x = sampled[w]
            while x != 0 {
                out.append(Int32(w * 64 + x.trailingZeroBitCount))
                x &= x &- 1
            }
        }
        return out
    }

    /// 64-bit words of a bitmap over `rows` rows.
    static func bitmapWords(_ rows: Int) -> Int { max(1, (rows + 63) / 64) }

    /// Tables walked ahead of the one being counted: the bucket offsets of table l + 2·D and the
    /// bucket of table l + D are requested while table l is walked, so the two dependent cache
    /// misses per table (offset, then bucket) overlap with work instead of following each other.
    /// 10 rather than the first 6 since the tenth session: with the gathers faster, MagicPIG's step at 64K
    /// (1 thread, six alternations) ran 8.2–9.1× dense against 6.0–7.9× with 6; 16 was no better than 10.
    static let walkAhead = 10

    /// Walks the query's L buckets in every segment counting collisions per row in `counters`
    /// (capacity ≥ count, all zero on entry and again on return) and sets bit i of `sampled`
    /// (`bitmapWords(count)` words, zero on entry) for every row i whose count reaches
    /// `threshold`: S as a bitmap, which the caller reads in row order.
    ///
    /// Why a bitmap: the counter pass it replaces read every counter (n bytes) per query to find
    /// S; the bitmap is n/8 bytes, set only when a count reaches the threshold, and the counters
    /// are cleared by one memset.
    func mark(codes: UnsafePointer<UInt32>, threshold: Int, counters: UnsafeMutablePointer<UInt8>,
              sampled: UnsafeMutablePointer<UInt64>) {
        precondition(threshold >= 1 && threshold <= 255, "retrieve: threshold must be in 1...255")
        let L = projection.tables, stride = bucketCount + 1, t = UInt8(threshold), D = Self.walkAhead
        // Counts cannot pass 255 with fewer tables; with more they saturate there.
        let saturating = L >= 255
        do {
            let idx = indices.pointer, off = offsets.pointer
            do {
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 2 * L) { bounds in
                    for s in 0..<segments {
                        let first = s * segmentRows, c = min(segmentRows, count - first)
                        let seg = counters + first
                        let offs = off + s * L * stride
                        let tables = idx + first * L
                        @inline(__always) func requestOffsets(_ l: Int) { Prefetch.read(offs + l * stride + Int(codes[l])) }
                        @inline(__always) func requestBucket(_ l: Int) {
                            let o = l * stride + Int(codes[l])
                            let lo = offs[o], hi = offs[o + 1]
                            bounds[2 * l] = lo
                            bounds[2 * l + 1] = hi
                            // The first lines; the hardware prefetcher follows a long bucket.
                            Prefetch.read(tables + l * c + Int(lo), bytes: min(Int(hi - lo) * 2, 256))
                        }
                        for l in 0..<min(2 * D, L) { requestOffsets(l) }
                        for l in 0..<min(D, L) { requestBucket(l) }
                        for l in 0..<L {
                            if l + 2 * D < L { requestOffsets(l + 2 * D) }
                            if l + D < L { requestBucket(l + D) }
                            let table = tables + l * c
                            let lo = Int(bounds[2 * l]), hi = Int(bounds[2 * l + 1])
                            if saturating {
                                for e in lo..<hi {
                                    let row = Int(table[e])
                                    let v = seg[row]
                                    let next = v == 255 ? v : v &+ 1
                                    seg[row] = next
                                    let r = first &+ row
                                    sampled[r &>> 6] |= UInt64(next == t ? 1 : 0) &<< UInt64(r & 63)
                                }
                            } else {
                                for e in lo..<hi {
                                    let row = Int(table[e])
                                    let next = seg[row] &+ 1
                                    seg[row] = next
                                    let r = first &+ row
                                    sampled[r &>> 6] |= UInt64(next == t ? 1 : 0) &<< UInt64(r & 63)
                                }
                            }
                        }
                    }
                }
            }
        }
        counters.update(repeating: 0, count: count)
    }
}
