/// Dense vector primitives on raw Float buffers.
///
/// Explicit SIMD16 accumulators: a plain scalar loop was about 10x slower in probes on this
/// machine (shared/reference/machine.md), and SIMD types lower to whatever the CPU has
/// (AVX2, AVX-512, NEON) without requiring any one of them.

public enum Vector {
    /// Σ a[i]·b[i] for i < count.
    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var i = 0
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        while i + 32 <= count {
            acc0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            acc1 += ra.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
                * rb.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
            i += 32
        }
        if i + 16 <= count {
            acc0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        var sum = (acc0 + acc1).sum()
        while i < count {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    /// y[i] += alpha·x[i] for i < count.
    @inlinable
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        let a = SIMD16<Float>(repeating: alpha)
        var i = 0
        while i + 16 <= count {
            let yv = ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            let xv = rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            ry.storeBytes(of: yv + a * xv, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            y[i] += alpha * x[i]
            i += 1
        }
    }

    /// x[i] *= alpha for i < count.
    @inlinable
    public static func scale(_ x: UnsafeMutablePointer<Float>, by alpha: Float, count: Int) {
        for i in 0..<count { x[i] *= alpha }
    }

    /// Euclidean norm ‖x‖.
    @inlinable
    public static func norm(_ x: UnsafePointer<Float>, count: Int) -> Float {
        dot(x, x, count: count).squareRoot()
    }
}

extension Array where Element == Float {
    /// Σ self[i]·other[i]; both arrays must have the same count.
    @inlinable
    public func dot(_ other: [Float]) -> Float {
        precondition(count == other.count, "dot: length mismatch \(count) vs \(other.count)")
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in Vector.dot(a.baseAddress!, b.baseAddress!, count: count) }
        }
    }
}
