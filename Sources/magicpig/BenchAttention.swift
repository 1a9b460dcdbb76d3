import ArgumentParser
import Foundation
import Harness
import Kernels

struct BenchAttention: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention",
        abstract: "Decode-step speed of dense, MagicPIG and TopK CPU attention kernels for one layer; writes CSV.",
        discussion: """
            Geometry defaults to Llama-3.1-8B (32 query heads, 8 KV heads, head_dim 128) over a seeded
            synthetic cache. Measures the machine's memory read bandwidth with the same thread count and
            reports each kernel's share of it. A manifest (machine, threads, git commit) is written beside
            the CSV as <out>.manifest.json.
            """)

    @Option(help: "Comma-separated context lengths in tokens.")
    var contexts = "4096,16384,65536,131072"
    @Option(name: .customLong("K"), help: "MagicPIG bits per table.")
    var bits = 10
    @Option(name: .customLong("L"), help: "MagicPIG tables.")
    var tables = 150
    @Option(help: "Threads (default: all active processors).")
    var threads = Parallel.defaultThreadCount
    @Option(help: "K/V storage: float32 or float16.")
    var dtype = "float32"
    @Option(help: "TopK budget as a fraction of the context.")
    var topk = 0.02
    @Option(help: "Timed decode steps per method (median reported), after 2 warm-up steps.")
    var steps = 7
    @Option(help: "Query heads.")
    var heads = 32
    @Option(name: .customLong("kv-heads"), help: "KV heads.")
    var kvHeads = 8
    @Option(name: .customLong("head-dim"), help: "Head dimension (a multiple of 16).")
    var headDim = 128
    @Option(help: "Seed of the synthetic cache, queries and W.")
    var seed: UInt64 = 0
    @Option(help: "Output CSV.")
    var out = "results/bench/attention.csv"

    func run() throws {
        let started = Date()
        let list = contexts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let parsed = list.compactMap { Int($0) }
        guard parsed.count == list.count, parsed.allSatisfy({ $0 > 100 }) else {
            throw ValidationError("--contexts must be comma-separated token counts above 100, e.g. 4096,16384; got \(contexts)")
        }
        guard let type = KVDType(rawValue: dtype) else {
            throw ValidationError("--dtype must be float32 or float16, got \(dtype)")
        }
        guard (1...16).contains(bits), tables >= 1, threads >= 1, steps >= 1, topk > 0, topk <= 1 else {
            throw ValidationError("need K in 1...16, L ≥ 1, threads ≥ 1, steps ≥ 1 and topk in (0, 1]")
        }
        let bench = AttentionBenchmark(contexts: parsed, bits: bits, tables: tables, threads: threads, dtype: type,
                                       topKFraction: topk, heads: heads, kvHeads: kvHeads, dim: headDim,
                                       timedSteps: steps, seed: seed)
        let table = try bench.run()
        try bench.write(table, to: out, started: started)
        print(out)
    }
}
