import Foundation
import Testing

/// `generate`, `perplexity` and `capture` without the real models: argument errors and the missing-model error.
@Suite struct ModelCommandsCLITests {
    let cli = ModelsCLITests()
    let empty = ["MAGICPIG_MODELS_DIR": NSTemporaryDirectory() + "magicpig-models-\(UUID().uuidString)"]

    func textFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "magicpig-text-\(UUID().uuidString).txt"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func missingModelNamesTheFetchCommand() throws {
        let file = try textFile("Hello there, how are you?")
        defer { try? FileManager.default.removeItem(atPath: file) }
        for args in [["generate", "--model", "qwen2.5-0.5b", "--prompt", "Hi", "--max-tokens", "2"],
                     ["perplexity", "--model", "qwen2.5-0.5b", "--text-file", file],
                     ["capture", "--model", "qwen2.5-0.5b", "--prompt-file", file, "--decode-steps", "2", "--out", "/tmp/x.h5"],
                     ["bench", "model", "--model", "qwen2.5-0.5b", "--llamacpp", "none", "--text", file,
                      "--out", NSTemporaryDirectory() + "bench-\(UUID().uuidString).csv"]] {
            let r = try cli.magicpig(args, environment: empty)
            #expect(r.status != 0, "\(args[0])")
            #expect(r.stderr.contains("scripts/fetch_models.sh qwen2.5-0.5b"), "\(args[0]): \(r.stderr)")
        }
    }

    @Test func unknownMethodListsValidOnes() throws {
        let file = try textFile("Hello")
        defer { try? FileManager.default.removeItem(atPath: file) }
        for args in [["generate", "--prompt", "Hi", "--method", "bogus"],
                     ["perplexity", "--text-file", file, "--method", "bogus"]] {
            let r = try cli.magicpig(args, environment: empty)
            #expect(r.status != 0)
            #expect(r.stderr.contains("unknown method 'bogus'"), "\(r.stderr)")
            #expect(r.stderr.contains("exact") && r.stderr.contains("magicpig"), "\(r.stderr)")
        }
        let badParameter = try cli.magicpig(["generate", "--prompt", "Hi", "--method", "magicpig:Q=3"], environment: empty)
        #expect(badParameter.status != 0 && badParameter.stderr.contains("has no parameter 'Q'"), "\(badParameter.stderr)")
    }

    @Test func badArgumentsAreRejected() throws {
        let file = try textFile("Hello")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let cases: [([String], String)] = [
            (["generate", "--prompt", "Hi", "--max-tokens", "0"], "--max-tokens"),
            (["generate"], "--prompt"),
            (["generate", "--prompt", "Hi", "--dense-layers", "0,x"], "--dense-layers"),
            (["generate", "--prompt", "Hi", "--threads", "0"], "--threads"),
            (["perplexity", "--text-file", file, "--prefill", "0"], "--prefill"),
            (["perplexity", "--text-file", "/nonexistent/file.txt"], "cannot read --text-file"),
            (["capture", "--prompt-file", file, "--decode-steps", "0", "--out", "x.h5"], "--decode-steps"),
            (["capture", "--prompt-file", file, "--decode-steps", "2", "--layers", "1,1", "--out", "x.h5"], "--layers"),
            (["capture", "--prompt-file", file, "--decode-steps", "2"], "--out"),
            (["generate", "--prompt", "Hi", "--backend", "cuda"], "--backend"),
            (["bench", "model", "--contexts", "512,x"], "--contexts"),
            (["bench", "model", "--rounds", "0"], "--rounds"),
            (["bench", "model", "--contexts", "0"], "--contexts"),
            (["bench", "model", "--repeats", "0"], "--repeats"),
            (["bench", "model", "--backend", "gpu"], "--backend"),
            (["generate", "--prompt", "Hi", "--kv-type", "float8"], "--kv-type"),
            (["perplexity", "--text-file", file, "--kv-type", "bf16"], "--kv-type"),
            (["capture", "--prompt-file", file, "--decode-steps", "2", "--out", "x.h5", "--kv-type", "int8"], "--kv-type"),
            (["bench", "model", "--kv-type", "half"], "--kv-type"),
        ]
        for (args, expected) in cases {
            let r = try cli.magicpig(args, environment: empty)
            #expect(r.status != 0, "\(args)")
            #expect(r.stderr.contains(expected), "\(args): \(r.stderr)")
        }
    }
}
