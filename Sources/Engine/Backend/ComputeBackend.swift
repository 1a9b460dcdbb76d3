import Kernels

/// Where the model's large dense products run. The forward pass hands every product with more than one
/// row (prefill projections over dequantised weight blocks, prefill attention) to a backend, so the model
/// code does not care whether it runs in pure Swift, OpenBLAS (the CPUBackend target) or, later, CUDA.
///
/// One required customisation point: a general matrix product on row-major Float32 buffers with leading
/// dimensions, the shape cblas_sgemm and cublasSgemm both take. Calls may come from several threads at once
/// (the model parallelises over weight blocks and heads), so an implementation is single-threaded per call
/// and must be safe to call concurrently.
public protocol ComputeBackend: Sendable {
    /// A short name for reports ("swift", "openblas").
    var name: String { get }

    /// C[m×n] = A[m×k] · op(B), where op(B) = Bᵀ for B stored [n×k] (`transposeB`) or B stored [k×n].
    /// Row-major; `lda`, `ldb`, `ldc` are the distances between consecutive rows in elements.
    func matrixProduct(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        c: UnsafeMutablePointer<Float>, ldc: Int)
}

/// The pure-Swift backend (Kernels.MatrixProduct): the default, and what the statically linked binary for the
/// GPU machine uses until a CUDA backend exists.
public struct SwiftBackend: ComputeBackend {
    public var name: String { "swift" }
    public init() {}

    public func matrixProduct(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        // MatrixProduct wants dense A[m×k], B[k×n], C[m×n]: pack whatever is strided or transposed.
        var owned: [UnsafeMutablePointer<Float>] = []
        defer { owned.forEach { $0.deallocate() } }
        func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
            owned.append(p)
            return p
        }
        var pa = a
        if lda != k {
            let packed = allocate(m * k)
            for i in 0..<m { (packed + i * k).update(from: a + i * lda, count: k) }
            pa = UnsafePointer(packed)
        }
        var pb = b
        if transposeB {
            let packed = allocate(k * n)
            // Blocked transpose: 16 rows of B at a time, so the writes to a column stay in few cache lines.
            var j0 = 0
            while j0 < n {
                let j1 = min(n, j0 + 16)
                for p in 0..<k { for j in j0..<j1 { packed[p * n + j] = b[j * ldb + p] } }
                j0 = j1
            }
            pb = UnsafePointer(packed)
        } else if ldb != n {
            let packed = allocate(k * n)
            for p in 0..<k { (packed + p * n).update(from: b + p * ldb, count: n) }
            pb = UnsafePointer(packed)
        }
        if ldc == n {
            MatrixProduct.multiply(pa, pb, into: c, m: m, n: n, k: k)
        } else {
            let dense = allocate(m * n)
            MatrixProduct.multiply(pa, pb, into: dense, m: m, n: n, k: k)
            for i in 0..<m { (c + i * ldc).update(from: dense + i * n, count: n) }
        }
    }
}
