import Datasets
import Kernels

/// Where the approximator starts in a RULER prompt (../shared/reference/magicpig.md, "Protocol").
public enum PromptSetup: String, Sendable, CaseIterable, Codable {
    /// The whole prompt, question included, is prefilled with exact attention; only decode steps are
    /// approximated (the MagicPIG paper's protocol).
    case a = "A"
    /// The context is prefilled exactly; the question's tokens (and the answer prefix) are fed one by one
    /// through the approximator, as decode steps are (an independent reproduction's protocol, much harsher).
    case b = "B"
}

/// The `kind: accuracy` fields of an experiment: which model answers which RULER-style tasks at which
/// lengths (docs/config.md, docs/tasks.md).
public struct AccuracySpec: Sendable, Equatable {
    /// A model name (`smollm2`, `qwen2.5-0.5b`) or a GGUF path.
    public var model: String = "smollm2"
    public var tasks: [RulerTask] = RulerTask.allCases
    /// Prompt lengths in the model's own tokens, chat template and answer room included.
    public var lengths: [Int] = [4096]
    public var samplesPerTask: Int = 20
    /// Seed of the task generators (the methods' seeds are the config's `seeds`).
    public var taskSeed: UInt64 = 0
    /// Wrap each prompt in the model's chat template (instruct models; RULER does the same).
    public var chat: Bool = true
    public var setups: [PromptSetup] = [.a]
    /// Caps every task's RULER answer length (tokens_to_generate), e.g. for a quick run; nil keeps RULER's.
    public var maxNewTokens: Int?
    /// How the model's KV cache stores keys and values (Float16 as llama.cpp; float32 keeps them unrounded).
    public var kvType: KVDType = .float16

    public init() {}
}
