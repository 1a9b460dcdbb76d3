import Approximators
import ArgumentParser
import Datasets
import Foundation
import Harness

struct BenchReplay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay throughput (queries/s) per method, with numpy timed in the same run; writes CSV.",
        discussion: """
            Without --capture, a 16K-token synthetic capture is written to captures/bench-16k.h5 first.
            Swift and numpy run with the same thread count (OPENBLAS_NUM_THREADS for numpy).
            """)

    @Option(help: "Capture to replay (default: captures/bench-16k.h5, synthesised if missing).")
    var capture: String?
    @Option(name: .customLong("method"), help: "Method spec, repeatable (default: exact, topk 2 %, oracle 2 %, magicpig K10 L150).")
    var methods: [String] = ["exact", "topk:budget=0.02", "oracle_sampling:budget=0.02", "magicpig:K=10,L=150"]
    @Option(help: "Threads for both engines.")
    var threads = 1
    @Option(help: "Timed repeats (best is kept).")
    var repeats = 3
    @Option(help: "numpy implementation to time beside ours; 'none' to skip.")
    var numpy = "scripts/bench_replay_numpy.py"
    @Option(help: "Output CSV.")
    var out = "results/bench/replay.csv"

    func run() throws {
        let configurations = try methods.map { try MethodSpec.parse($0) }
        let path = capture ?? "captures/bench-16k.h5"
        if capture == nil && !FileManager.default.fileExists(atPath: path) {
            let spec = SyntheticCaptureSpec(tokens: 16384, layers: 2, heads: 8, kvHeads: 2, headDim: 64, steps: 16)
            try SyntheticCapture.write(spec, to: path)
        }
        let bench = ReplayBenchmark(capture: path, methods: configurations, threads: threads, repeats: repeats,
                                    numpyScript: numpy == "none" ? nil : numpy)
        try bench.run(writingTo: out)
        print(out)
    }
}
