import ArgumentParser
import Foundation
import Harness
import Kernels

struct BenchModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Prefill and decode tokens/s of the real models, with llama.cpp timed in the same run; writes CSV.",
        discussion: """
            For each model and context C: prefill = C prompt tokens on an empty cache; decode = --decode-tokens
            single-token steps after those C. Both engines get the same GGUF, the same token ids (--text
            tokenised and repeated) and --threads. Each engine measures each model in its own process, so
            peak_rss_mb is that model's alone. llama.cpp runs through scripts/bench_model_llamacpp.py
            (llama-cpp-python); --llamacpp none times this engine only. --rounds N alternates the two engines
            N times per model and reports the median round and the median of the per-round ratios.
            """)

    @Option(name: .customLong("model"), help: "Model name or GGUF path, repeatable (default: smollm2 and qwen2.5-0.5b).")
    var models: [String] = ["smollm2", "qwen2.5-0.5b"]
    @Option(help: "Comma-separated context lengths.")
    var contexts = "512,4096"
    @Option(name: .customLong("decode-tokens"), help: "Decode steps timed after each context.")
    var decodeTokens = 32
    @Option(help: "Threads for both engines.")
    var threads = 2
    @Option(help: "Timed repeats (best is kept).")
    var repeats = 2
    @Option(help: "Turns per engine, alternating ours and llama.cpp; the CSV gives the median round and the median paired ratio.")
    var rounds = 1
    @Option(help: "Compute backend for prefill products: openblas or swift.")
    var backend: BackendChoice = .default
    @Option(name: .customLong("kv-type"), help: "Our KV cache storage: float16 (llama.cpp's default, which its side keeps) or float32.")
    var kvType: KVDType = .float16
    @Option(help: "Prompt text, tokenised and repeated to length.")
    var text = ModelBenchmark.defaultTextPath
    @Option(help: "llama.cpp helper to time beside ours; 'none' to skip.")
    var llamacpp = "scripts/bench_model_llamacpp.py"
    @Option(help: "Output CSV.")
    var out = "results/bench/model.csv"

    // The per-model child process this command starts for itself (peak RSS per model).
    @Flag(help: .hidden) var worker = false
    @Option(name: .customLong("ids-file"), help: .hidden) var idsFile: String?

    func parsedContexts() throws -> [Int] {
        let parts = contexts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap { Int($0) }
        guard !values.isEmpty, values.count == parts.count, values.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--contexts must be comma-separated positive token counts, e.g. 512,4096; got \(contexts)")
        }
        return values
    }

    func validate() throws {
        _ = try parsedContexts()
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        guard decodeTokens >= 1 else { throw ValidationError("--decode-tokens must be at least 1") }
        guard !models.isEmpty else { throw ValidationError("give at least one --model") }
        if worker && (idsFile == nil || models.count != 1) { throw ValidationError("--worker needs --ids-file and one --model") }
    }

    func run() throws {
        let bench = ModelBenchmark(models: models, contexts: try parsedContexts(), decodeTokens: decodeTokens,
                                   threads: threads, repeats: repeats, rounds: rounds, backend: backend, kvType: kvType, textPath: text,
                                   llamaScript: llamacpp == "none" ? nil : llamacpp,
                                   workerExecutable: worker ? nil : Bundle.main.executablePath ?? CommandLine.arguments[0])
        if worker, let idsFile {
            print(try bench.workerOutput(model: models[0], idsFile: idsFile), terminator: "")
            return
        }
        try bench.run(writingTo: out)
        print(out)
    }
}
