import Foundation

/// The machine's memory read bandwidth as a streaming kernel sees it: a SIMD sum over a buffer
/// far larger than the last-level cache, split over `threads` threads — the ceiling a decode
/// attention kernel (bound by reading K and V) is measured against.
public enum Bandwidth {
    /// Best-of-`repeats` read bandwidth in GB/s (10^9 bytes per second) over `bytes` bytes.
    public static func measureRead(bytes: Int = 512 << 20, threads: Int = Parallel.defaultThreadCount, repeats: Int = 5) -> Double {
        let floats = max(bytes / 4, 1 << 16) & ~63
        // The same memory as the caches it is compared with (huge pages where the kernel allows).
        let buffer = LargeAllocation.allocate(byteCount: floats * 4).bindMemory(to: Float.self, capacity: floats)
        defer { UnsafeMutableRawPointer(buffer).deallocate() }
        // Touch every page first so the timing sees reads, not page faults.
        for i in 0..<floats { buffer[i] = Float(i & 1023) * 1e-3 }
        let pieces = max(1, threads)
        let sink = UnsafeMutablePointer<Float>.allocate(capacity: pieces)
        defer { sink.deallocate() }
        let bp = SendablePointer(buffer), sp = SendablePointer(sink)
        var best = 0.0
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            Parallel.forEach(pieces, threads: threads) { p in
                let lo = (floats / 64 * p / pieces) * 64, hi = (floats / 64 * (p + 1) / pieces) * 64
                sp.pointer[p] = sum(UnsafePointer(bp.pointer) + lo, count: hi - lo)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            best = max(best, Double(floats * 4) / seconds / 1e9)
        }
        var total: Float = 0
        for p in 0..<pieces { total += sink[p] }
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
}
