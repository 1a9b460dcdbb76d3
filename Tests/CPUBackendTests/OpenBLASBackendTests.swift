import Testing
import Engine
@testable import CPUBackend

/// The OpenBLAS backend against a naive Double product, with strided and transposed operands, the shapes
/// the forward pass uses (weight blocks with Bᵀ, attention with a strided A and C).
@Suite struct OpenBLASBackendTests {
    static func naive(m: Int, n: Int, k: Int, a: [Float], lda: Int, b: [Float], ldb: Int, transposeB: Bool) -> [Double] {
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s = 0.0
            for p in 0..<k { s += Double(a[i * lda + p]) * Double(transposeB ? b[j * ldb + p] : b[p * ldb + j]) }
            c[i * n + j] = s
        } }
        return c
    }

    @Test(arguments: [false, true])
    func matchesNaiveProduct(transposeB: Bool) {
        let backends: [any ComputeBackend] = [OpenBLASBackend(), SwiftBackend()]
        var rng = SystemRandomNumberGenerator()
        let m = 7, n = 19, k = 33, lda = 40, ldb = transposeB ? 35 : 23, ldc = 25
        let a = (0..<(m * lda)).map { _ in Float.random(in: -1...1, using: &rng) }
        let b = (0..<((transposeB ? n : k) * ldb)).map { _ in Float.random(in: -1...1, using: &rng) }
        let expected = Self.naive(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, transposeB: transposeB)
        for backend in backends {
            var c = [Float](repeating: .nan, count: m * ldc)
            c.withUnsafeMutableBufferPointer { cp in
                backend.matrixProduct(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, transposeB: transposeB,
                                      c: cp.baseAddress!, ldc: ldc)
            }
            for i in 0..<m { for j in 0..<n {
                #expect(abs(Double(c[i * ldc + j]) - expected[i * n + j]) < 1e-4, "\(backend.name) [\(i), \(j)]")
            } }
            // Columns past n in each row of C are left alone.
            #expect(c[n].isNaN, "\(backend.name) wrote past n")
        }
    }
}
