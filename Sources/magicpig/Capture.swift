import ArgumentParser
import Engine
import Foundation
import Harness
import Kernels

struct Capture: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the real model on a prompt and write its post-RoPE keys, values and decode queries as a capture.",
        discussion: """
            The prompt file is tokenized verbatim (special tokens recognised, no BOS) and prefilled with exact
            attention; then --decode-steps greedy tokens are decoded with exact attention (end-of-generation
            tokens do not stop it). With n prompt tokens, the capture's sample 0 has T = n + steps keys and
            values (positions [0, T)) and the decode steps' queries at positions n ..< T, each attending keys
            up to and including its own (capture format v1, float16). Written atomically.
            """)

    @Option(help: "A model name (smollm2, qwen2.5-0.5b) or a GGUF path.")
    var model: String = "smollm2"

    @Option(name: .customLong("prompt-file"), help: "UTF-8 text file holding the prompt.")
    var promptFile: String

    @Option(name: .customLong("decode-steps"), help: "Greedy decode steps whose queries are captured.")
    var decodeSteps: Int

    @Option(help: "Comma-separated layers to capture (default: all).")
    var layers: String?

    @Option(help: "Output capture (.h5).")
    var out: String

    @Option(help: "Threads (default: all active processors).")
    var threads: Int = Parallel.defaultThreadCount

    @Option(help: "Compute backend for prefill products: openblas or swift.")
    var backend: BackendChoice = .default

    @Option(name: .customLong("kv-type"), help: "KV cache storage: float16 (as llama.cpp; the captured K/V are the stored, rounded values) or float32.")
    var kvType: KVDType = .float16

    func parsedLayers() throws -> [Int]? {
        guard let layers else { return nil }
        let parts = layers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap { Int($0) }
        guard !values.isEmpty, values.count == parts.count, values.allSatisfy({ $0 >= 0 }), Set(values).count == values.count else {
            throw ValidationError("--layers must be distinct comma-separated layer indices, e.g. 0,5,10; got \(layers)")
        }
        return values
    }

    func validate() throws {
        guard decodeSteps >= 1 else { throw ValidationError("--decode-steps must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        _ = try parsedLayers()
    }

    func run() throws {
        let text: String
        do { text = try String(contentsOfFile: promptFile, encoding: .utf8) } catch {
            throw ValidationError("cannot read --prompt-file \(promptFile): \(error.localizedDescription)")
        }
        let loaded = try ModelLoader.load(name: model, backend: backend, threads: threads, kvType: kvType)
        let (url, tokenizer, language) = (URL(fileURLWithPath: loaded.path), loaded.tokenizer, loaded.model)
        let prompt = tokenizer.encode(text).map(Int.init)
        guard !prompt.isEmpty else { throw ValidationError("the prompt file has no tokens") }
        let layers = try parsedLayers()
        if let bad = layers?.first(where: { $0 >= language.config.layerCount }) {
            throw ValidationError("layer \(bad) is outside 0..<\(language.config.layerCount) for \(model)")
        }
        let name = loaded.name
        let summary = try ModelCapture.capture(
            model: language, modelName: name, prompt: prompt, decodeSteps: decodeSteps, layers: layers, to: out,
            source: "magicpig capture, \(url.lastPathComponent), greedy")
        FileHandle.standardError.write(Data("prompt \(summary.promptTokens) tokens, T = \(summary.tokenCount), generated: \(tokenizer.decode(summary.generated.map(Int32.init)).debugDescription)\n".utf8))
        print(out)
    }
}
