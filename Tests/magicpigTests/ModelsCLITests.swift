import Foundation
import Testing

/// `magicpig models list|fetch` without touching the network: an empty cache and a bad name.
@Suite struct ModelsCLITests {
    func magicpig(_ args: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = CLITests.binary
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    @Test func listShowsMissingModelsWithTheirFetchCommand() throws {
        let empty = NSTemporaryDirectory() + "magicpig-models-\(UUID().uuidString)"
        let r = try magicpig(["models", "list"], environment: ["MAGICPIG_MODELS_DIR": empty])
        #expect(r.status == 0)
        #expect(r.stdout.contains("smollm2: SmolLM2-135M-Instruct"))
        #expect(r.stdout.contains("\(empty)/smollm2.gguf: not fetched (scripts/fetch_models.sh smollm2)"))
        #expect(r.stdout.contains("\(empty)/qwen2.5-0.5b.gguf: not fetched (scripts/fetch_models.sh qwen2.5-0.5b)"))
    }

    @Test func fetchRejectsUnknownNames() throws {
        let r = try magicpig(["models", "fetch", "llama-7b"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("unknown model \"llama-7b\""))
    }
}
