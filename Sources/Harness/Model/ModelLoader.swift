import CPUBackend
import Engine
import Foundation
import Kernels

/// Which `ComputeBackend` runs the model's multi-row products (prefill projections and attention).
///
/// OpenBLAS is the default on the CPU: its sgemm gave the faster prefill in every measurement here, though by
/// little on the shared 2-core machine (SmolLM2, 512 tokens, 2 threads: 191 against 184 tok/s; docs/engine.md,
/// "Speed"). `swift` needs no C library and is what the statically linked GPU-machine build of the Engine uses.
public enum BackendChoice: String, CaseIterable, Sendable {
    case swift
    case openblas

    public static let `default` = BackendChoice.openblas

    public func make() -> any ComputeBackend {
        switch self {
        case .swift: return SwiftBackend()
        case .openblas: return OpenBLASBackend()
        }
    }
}

/// One place that turns a model name into a tokenizer and a runnable model, for the CLI and the runners.
public enum ModelLoader {
    /// A model name (`smollm2`, `qwen2.5-0.5b`) or a GGUF path, resolved by `ModelStore` (a missing model is
    /// its typed error, which names the fetch command), with its tokenizer and the model on `backend`, its KV
    /// cache stored as `kvType`.
    public static func load(name: String, backend: BackendChoice = .default,
                            threads: Int = Parallel.defaultThreadCount, kvType: KVDType = .float16) throws -> LoadedModel {
        let url = try ModelStore().resolve(name)
        let file = try GGUFFile(url: url)
        let tokenizer = try Tokenizer(gguf: file)
        let model = try LanguageModel(path: url.path, backend: backend.make(), threads: threads, kvType: kvType)
        let known = KnownModel.named(name)?.name ?? url.deletingPathExtension().lastPathComponent
        return LoadedModel(name: known, path: url.path, tokenizer: tokenizer, model: model)
    }
}

/// A loaded model: its short name (for results), file, tokenizer and model.
public struct LoadedModel: @unchecked Sendable {
    public var name: String
    public var path: String
    public var tokenizer: Tokenizer
    public var model: LanguageModel
}
