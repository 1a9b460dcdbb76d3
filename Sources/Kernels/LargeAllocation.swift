import Foundation

/// Memory for the large read-mostly arrays of a decode step (a layer's K and V, MagicPIG's
/// tables): 2 MiB aligned and, on Linux, advised for transparent huge pages.
///
/// Why: the sparse methods read rows scattered over hundreds of MB (MagicPIG's sampled set is
/// ≈ 1 row in 15 at 64K tokens, so nearly every row is on a 4 KiB page of its own and misses the
/// TLB); a 2 MiB page covers 512 times more memory per TLB entry. Measured on the shared EPYC the
/// effect on a MagicPIG step was within the noise of a loaded machine (≤ 15 %); it costs nothing
/// but rounding large arrays up to 2 MiB. Where the kernel has THP off, or on other systems, this
/// is an ordinary aligned allocation.
public enum LargeAllocation {
    public static let hugePageBytes = 2 << 20

    /// `byteCount` bytes (uninitialised) aligned to 64, or to 2 MiB and advised for huge pages
    /// when at least 2 MiB. Free with `deallocate()`.
    public static func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        guard byteCount >= hugePageBytes else { return .allocate(byteCount: max(byteCount, 1), alignment: 64) }
        let rounded = (byteCount + hugePageBytes - 1) & ~(hugePageBytes - 1)
        let p = UnsafeMutableRawPointer.allocate(byteCount: rounded, alignment: hugePageBytes)
        #if os(Linux)
        // Advice only: nothing to do if the kernel declines.
        _ = madvise(p, rounded, MADV_HUGEPAGE)
        #endif
        return p
    }
}

extension UnsafeMutablePointer where Pointee: BitwiseCopyable {
    /// `count` uninitialised elements starting on a 64-byte (cache-line) boundary; free with `deallocate()`.
    ///
    /// Why: the kernels' scratch — the queries, the accumulators of the V sums, the score blocks — is read and
    /// written with 256- and 512-bit vectors, and `allocate(capacity:)` aligns only to the element (malloc's
    /// 16 bytes in practice), so every other 32-byte access, and every 64-byte one, straddled two cache lines.
    /// For the V sum that rewrites its four queries' accumulators each row pair, a split store costs a second
    /// line write and defeats store-to-load forwarding: the same loop ran 11 ns per row with 64-byte aligned
    /// accumulators against 24 with them 16 bytes off (in-L1 probe, AVX-512 host; docs/cpu-kernels.md).
    @inlinable
    public static func allocateLines(_ count: Int) -> UnsafeMutablePointer<Pointee> {
        UnsafeMutableRawPointer.allocate(byteCount: Swift.max(count, 1) * MemoryLayout<Pointee>.stride, alignment: 64)
            .bindMemory(to: Pointee.self, capacity: Swift.max(count, 1))
    }
}

/// A fixed-size, zero-initialised array of a trivial type in `LargeAllocation` memory, shared by
/// reference and immutable once its owner has filled it (MagicPIG's hash tables).
public final class LargeBuffer<T: BitwiseCopyable>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<T>
    public let count: Int

    public init(zeroed count: Int) {
        self.count = count
        let bytes = Swift.max(count, 1) * MemoryLayout<T>.stride
        let raw = LargeAllocation.allocate(byteCount: bytes)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        pointer = raw.assumingMemoryBound(to: T.self)
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

extension LargeBuffer: RandomAccessCollection {
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(i: Int) -> T { pointer[i] }
}
