import Approximators
import Foundation
import ArgumentParser
import Engine
import Harness
import Kernels

/// The model and attention options `generate` and `perplexity` share.
struct ModelOptions: ParsableArguments {
    @Option(help: "A model name (smollm2, qwen2.5-0.5b) or a GGUF path.")
    var model: String = "smollm2"

    @Option(help: "Attention method during decoding, e.g. exact, topk:budget=0.02, magicpig:K=10,L=150 (see `magicpig methods`).")
    var method: String = "exact"

    @Option(name: .customLong("dense-layers"), help: "Comma-separated layers that keep exact attention under --method.")
    var denseLayers: String = "0"

    @Option(help: "Sink tokens always attended exactly (protocol).")
    var sink: Int = 4

    @Option(help: "Local window of recent prompt tokens always attended exactly (protocol).")
    var local: Int = 64

    @Option(help: "Seed of the approximators' randomness (hash functions, sampling).")
    var seed: UInt64 = 0

    @Option(help: "Threads (default: all active processors).")
    var threads: Int = Parallel.defaultThreadCount

    @Option(help: "Compute backend for prefill products: openblas or swift.")
    var backend: BackendChoice = .default

    @Option(name: .customLong("kv-type"), help: "KV cache storage: float16 (as llama.cpp) or float32.")
    var kvType: KVDType = .float16

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard sink >= 0, local >= 0 else { throw ValidationError("--sink and --local must be non-negative") }
        _ = try parsedDenseLayers()
    }

    func parsedDenseLayers() throws -> Set<Int> {
        let parts = denseLayers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let values = parts.compactMap { Int($0) }
        guard values.count == parts.count, values.allSatisfy({ $0 >= 0 }) else {
            throw ValidationError("--dense-layers must be comma-separated layer indices, e.g. 0,1; got \(denseLayers)")
        }
        return Set(values)
    }

    /// The seam for `--method`, or nil for exact (plain decoding: bit-identical to the exact seam, and faster).
    func seam() throws -> AttentionSeam? {
        let configuration: MethodConfiguration
        do { configuration = try MethodSpec.parse(method) } catch { throw ValidationError("\(error)") }
        if configuration.method == "exact" { return nil }
        return AttentionSeam(approximator: configuration.approximator, denseLayers: try parsedDenseLayers(),
                             attentionProtocol: AttentionProtocol(sinkTokens: sink, localWindow: local), seed: seed)
    }

    /// The resolved file, its tokenizer and the model; a missing model is ModelStore's error (it names the fetch command).
    func load() throws -> (path: String, tokenizer: Tokenizer, model: LanguageModel) {
        let loaded = try ModelLoader.load(name: model, backend: backend, threads: threads, kvType: kvType)
        return (loaded.path, loaded.tokenizer, loaded.model)
    }
}

extension BackendChoice: ExpressibleByArgument {}
extension KVDType: ExpressibleByArgument {}

/// A JSON string literal.
func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
        }
    }
    return out + "\""
}

/// A finite JSON number (non-finite values become null).
func jsonNumber(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }
