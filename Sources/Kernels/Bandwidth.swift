import Foundation

/// The machine's memory read bandwidth as the decode kernels see it, over a buffer far larger than the
/// last-level cache, split over `threads` threads: streaming (a SIMD sum of every byte, the ceiling of dense
/// attention, which reads K and V once in address order) and scattered rows (a sum of one row in `every`,
/// rows in ascending order and requested ahead as the sparse gathers do: the ceiling of MagicPIG's and
/// TopK's gathers, which read whole rows at scattered places).
///
/// Why both: a method that reads 15× fewer bytes than dense attention is not 15× faster when its bytes
/// come as scattered 512-byte rows, which a core fetches at about half its streaming rate (the latency of
/// each row is paid with few rows in flight). The scattered figure is what that method's GB/s can be held
/// against; the ratio of the two bounds its speedup over dense attention for a given byte count.
public final class Bandwidth: @unchecked Sendable {
    let floats: Int
    let buffer: UnsafeMutablePointer<Float>
    /// Ascending row indices of the scattered probe (rows of `rowFloats` floats).
    let rows: [Int32]
    let rowFloats: Int
    private let sink: UnsafeMutablePointer<Float>
    private let threads: Int

    /// A probe over `bytes` bytes (touched once here, so the timings see reads, not page faults), whose
    /// scattered read takes rows of `rowBytes` bytes (a multiple of 4), each with probability 1 / `every`
    /// (a fixed seeded choice).
    public init(bytes: Int = 512 << 20, rowBytes: Int = 512, every: Int = 16, threads: Int = Parallel.defaultThreadCount) {
        precondition(rowBytes > 0 && rowBytes % 4 == 0 && every >= 1, "Bandwidth: rows of a multiple of 4 bytes, every ≥ 1")
        floats = max(bytes / 4, 1 << 16) & ~63
        // The same memory as the caches it is compared with (huge pages where the kernel allows).
        buffer = LargeAllocation.allocate(byteCount: floats * 4).bindMemory(to: Float.self, capacity: floats)
        for i in 0..<floats { buffer[i] = Float(i & 1023) * 1e-3 }
        rowFloats = rowBytes / 4
        var generator = SeededGenerator(seed: 0x5CA7, stream: [UInt64(rowBytes), UInt64(every)])
        rows = (0 ..< floats / rowFloats).compactMap { r in
            generator.next() % UInt64(every) == 0 ? Int32(truncatingIfNeeded: r) : nil
        }
        self.threads = max(1, threads)
        sink = .allocate(capacity: self.threads)
    }

    deinit {
        UnsafeMutableRawPointer(buffer).deallocate()
        sink.deallocate()
    }

    /// Bytes the scattered read covers.
    public var scatteredBytes: Int { rows.count * rowFloats * 4 }

    /// Streaming read bandwidth in GB/s (10^9 bytes per second), best of `repeats`.
    public func streaming(repeats: Int = 1) -> Double {
        let floats = floats, pieces = threads
        let bp = SendablePointer(buffer), sp = SendablePointer(sink)
        return best(of: repeats, bytes: floats * 4) {
            Parallel.forEach(pieces, threads: pieces) { p in
                let lo = (floats / 64 * p / pieces) * 64, hi = (floats / 64 * (p + 1) / pieces) * 64
                sp.pointer[p] = Self.sum(UnsafePointer(bp.pointer) + lo, count: hi - lo)
            }
        }
    }

    /// Scattered-row read bandwidth in GB/s (bytes of the rows read), best of `repeats`.
    public func scattered(repeats: Int = 1) -> Double {
        let pieces = threads, d = rowFloats
        let bp = SendablePointer(buffer), sp = SendablePointer(sink)
        return rows.withUnsafeBufferPointer { rb in
            let list = SendablePointer(UnsafeMutablePointer(mutating: rb.baseAddress!)), n = rb.count
            return best(of: repeats, bytes: n * d * 4) {
                Parallel.forEach(pieces, threads: pieces) { p in
                    let lo = n * p / pieces, hi = n * (p + 1) / pieces
                    sp.pointer[p] = Self.sumRows(UnsafePointer(bp.pointer), rows: UnsafePointer(list.pointer) + lo,
                                                 count: hi - lo, rowFloats: d)
                }
            }
        }
    }

    private func best(of repeats: Int, bytes: Int, _ body: () -> Void) -> Double {
        var best = 0.0
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            best = max(best, Double(bytes) / seconds / 1e9)
        }
        var total: Float = 0
        for p in 0..<threads { total += sink[p] }
        if total.isNaN { print("") }  // keeps the sums observable
        return best
    }

    /// Σ x[i] for count a multiple of 64, four independent accumulators.
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        let r = UnsafeRawPointer(x)
        var a0 = SIMD16<Float>(), a1 = a0, a2 = a0, a3 = a0
        var i = 0
        while i < count {
            a0 += r.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            a1 += r.loadUnaligned(fromByteOffset: i * 4 + 64, as: SIMD16<Float>.self)
            a2 += r.loadUnaligned(fromByteOffset: i * 4 + 128, as: SIMD16<Float>.self)
            a3 += r.loadUnaligned(fromByteOffset: i * 4 + 192, as: SIMD16<Float>.self)
            i += 64
        }
        return (a0 + a1 + a2 + a3).sum()
    }

    /// Σ of the listed rows, requested ahead as the gathers request theirs (`ListedRows.request`); 16 floats at a
    /// time, then one by one for a row whose length is not a multiple of 16 (e.g. 16 fp16 dims, 32 bytes).
    static func sumRows(_ x: UnsafePointer<Float>, rows: UnsafePointer<Int32>, count: Int, rowFloats d: Int) -> Float {
        let r = UnsafeRawPointer(x), listed = ListedRows(rows: rows)
        var a = SIMD16<Float>(), tail: Float = 0
        for i in 0..<count {
            listed.request(r, after: i, count: count, rowBytes: d * 4)
            let row = Int(rows[i]) * d * 4
            var c = 0
            while c + 16 <= d {
                a += r.loadUnaligned(fromByteOffset: row + c * 4, as: SIMD16<Float>.self)
                c += 16
            }
            while c < d {
                tail += r.load(fromByteOffset: row + c * 4, as: Float.self)
                c += 1
            }
        }
        return a.sum() + tail
    }
}
