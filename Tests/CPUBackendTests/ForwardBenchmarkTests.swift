import Foundation
import Testing
import Engine
import CPUBackend

/// Throughput probe, not a timed test: runs only with MAGICPIG_FORWARD_BENCH=1 (use a release build:
/// `swift test -c release --filter ForwardBenchmarkTests`), prints prefill and decode tokens/s on SmolLM2
/// (MAGICPIG_BENCH_MODEL picks another model) with the OpenBLAS and the pure-Swift backends.
@Suite struct ForwardBenchmarkTests {
    static var enabled: Bool {
        ProcessInfo.processInfo.environment["MAGICPIG_FORWARD_BENCH"] == "1" && ModelStore().isFetched(KnownModel.named("smollm2")!)
    }

    @Test(.enabled(if: enabled, "set MAGICPIG_FORWARD_BENCH=1 (and fetch smollm2) to measure throughput"))
    func smolLM2Throughput() throws {
        let name = ProcessInfo.processInfo.environment["MAGICPIG_BENCH_MODEL"] ?? "smollm2"
        let threads = Int(ProcessInfo.processInfo.environment["MAGICPIG_BENCH_THREADS"] ?? "2") ?? 2
        for backend in [OpenBLASBackend() as any ComputeBackend, SwiftBackend()] {
        let model = try LanguageModel(path: ModelStore().resolve(name).path, backend: backend, threads: threads)
        for context in [512] {
            var rng = SystemRandomNumberGenerator()
            let ids = (0..<context).map { _ in Int.random(in: 100..<10_000, using: &rng) }
            let session = model.makeSession()
            var start = Date()
            try session.prefill(ids)
            let prefill = Double(context) / Date().timeIntervalSince(start)
            let steps = 64
            start = Date()
            for i in 0..<steps { try session.step(ids[i]) }
            let decode = Double(steps) / Date().timeIntervalSince(start)
            print("bench \(name) \(model.backend.name) threads \(threads): prefill \(context): \(Int(prefill)) tok/s; decode at \(context): \(Int(decode)) tok/s")
        }
        }
    }
}
