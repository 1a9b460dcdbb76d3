import ArgumentParser
import Datasets

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a synthetic capture with LLM-like attention structure (for tests and demos).")

    @Option(help: "Output capture (.h5).")
    var out: String
    @Option(help: "Tokens per sample (prompt + decode steps).")
    var tokens = 4096
    @Option(help: "Layers.")
    var layers = 4
    @Option(help: "Query heads.")
    var heads = 8
    @Option(name: .customLong("kv-heads"), help: "KV heads (must divide --heads).")
    var kvHeads = 2
    @Option(name: .customLong("head-dim"), help: "Head dimension.")
    var headDim = 64
    @Option(help: "Captured decode steps (queries) per sample.")
    var steps = 16
    @Option(help: "Seed: the same seed writes the same tensors.")
    var seed: UInt64 = 0
    @Option(help: "Element type: float16 or float32.")
    var dtype = "float16"

    func validate() throws {
        guard tokens > steps, steps >= 1 else { throw ValidationError("--tokens must exceed --steps, and --steps must be at least 1") }
        guard layers >= 1, heads >= 1, kvHeads >= 1, headDim >= 1 else { throw ValidationError("sizes must be positive") }
        guard heads % kvHeads == 0 else { throw ValidationError("--heads (\(heads)) must be a multiple of --kv-heads (\(kvHeads))") }
        guard CaptureElementType(rawValue: dtype) != nil else { throw ValidationError("--dtype must be float16 or float32") }
    }

    func run() throws {
        let spec = SyntheticCaptureSpec(tokens: tokens, layers: layers, heads: heads, kvHeads: kvHeads,
                                        headDim: headDim, steps: steps, seed: seed)
        try SyntheticCapture.write(spec, to: out, elementType: CaptureElementType(rawValue: dtype)!)
        print(out)
    }
}
