import COpenBLAS
import Engine

/// The CPU backend: cblas_sgemm from OpenBLAS.
///
/// OpenBLAS is told to use one thread: the model already runs one product per weight block or head on each
/// of its own threads (a run-time count), and OpenBLAS threads inside those would oversubscribe the cores.
public struct OpenBLASBackend: ComputeBackend {
    public var name: String { "openblas" }

    public init() {
        openblas_set_num_threads(1)
    }

    public func matrixProduct(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, transposeB: Bool,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), 1, a, blasint(lda), b, blasint(ldb), 0, c, blasint(ldc))
    }
}
