import Builtin

/// Software prefetch: asks the cache hierarchy for a line without waiting for it.
///
/// Why: the sparse kernels read rows at scattered addresses (MagicPIG's sampled set, TopK's kept
/// rows, the bucket walk), which no hardware prefetcher predicts; a plain load of a row that
/// will be needed later would hold its place in the reorder buffer until memory answers, so only
/// a row or two are ever in flight. `llvm.prefetch` lowers to `prefetcht0` on x86-64 and `prfm`
/// on AArch64, and to nothing where a target has no prefetch instruction: never a required one.
/// Swift has no public spelling for it; the `Builtin` module (experimental feature
/// `BuiltinModule`, enabled for this target in Package.swift) exposes the LLVM intrinsic.
public enum Prefetch {
    /// Prefetch the line holding `p` into all cache levels, for reading.
    @inlinable @inline(__always)
    public static func read(_ p: UnsafeRawPointer) {
        Builtin.int_prefetch_RawPointer(p._rawValue, Builtin.zeroInitializer(), (3 as Int32)._value, (1 as Int32)._value)
    }

    /// Prefetch the line holding `p` into the second-level cache (and outward), not L1.
    @inlinable @inline(__always)
    public static func readToL2(_ p: UnsafeRawPointer) {
        Builtin.int_prefetch_RawPointer(p._rawValue, Builtin.zeroInitializer(), (2 as Int32)._value, (1 as Int32)._value)
    }

    /// Prefetch `bytes` bytes from `p` (every 64-byte line they touch).
    @inlinable @inline(__always)
    public static func read(_ p: UnsafeRawPointer, bytes: Int) {
        eachLine(p, bytes: bytes) { read($0) }
    }

    /// As `read(_:bytes:)`, into the second-level cache.
    @inlinable @inline(__always)
    public static func readToL2(_ p: UnsafeRawPointer, bytes: Int) {
        eachLine(p, bytes: bytes) { readToL2($0) }
    }

    /// `request` for an address in every 64-byte line of `bytes` bytes from `p`, four lines per turn: the loop's own
    /// add/compare/branch per line showed in the dense loop's profile.
    @inlinable @inline(__always)
    static func eachLine(_ p: UnsafeRawPointer, bytes: Int, _ request: (UnsafeRawPointer) -> Void) {
        var o = 0
        while o &+ 256 <= bytes {
            request(p + o); request(p + (o &+ 64)); request(p + (o &+ 128)); request(p + (o &+ 192))
            o &+= 256
        }
        while o < bytes {
            request(p + o)
            o &+= 64
        }
        // A row that does not start on a line boundary ends in one more line.
        if Int(bitPattern: p) & 63 != 0 && bytes > 0 { request(p + (bytes - 1)) }
    }
}
