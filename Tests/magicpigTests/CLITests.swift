import Foundation
import Testing

/// End-to-end tests of the command line: the built `magicpig` binary, its exit codes and messages.
@Suite struct CLITests {
    /// The `magicpig` executable beside the test bundle in the build folder.
    static var binary: URL {
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("magicpig")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("magicpig")
    }

    struct Output { var status: Int32; var stdout: String; var stderr: String }

    func magicpig(_ args: [String], cwd: String? = nil) throws -> Output {
        let p = Process()
        p.executableURL = Self.binary
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "magicpig-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func taskNamesAnUnknownTaskAndAMissingModel() throws {
        let unknown = try magicpig(["task", "--name", "niah_single_9"])
        #expect(unknown.status != 0 && unknown.stderr.contains("niah_single_1") && unknown.stderr.contains("qa_2"))
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let missing = try magicpig(["task", "--name", "vt", "--model", "\(dir)/absent.gguf"])
        #expect(missing.status != 0 && missing.stderr.contains("absent.gguf"))
    }

    @Test func methodsListsEveryCoreMethod() throws {
        let r = try magicpig(["methods"])
        #expect(r.status == 0)
        for name in ["exact", "topk", "oracle_sampling", "magicpig"] { #expect(r.stdout.contains("\(name):"), "\(name) missing") }
    }

    @Test func synthInspectRunEndToEnd() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let synth = try magicpig(["synth", "--out", "c.h5", "--tokens", "400", "--layers", "2", "--heads", "4",
                                  "--kv-heads", "2", "--head-dim", "16", "--steps", "3"], cwd: dir)
        #expect(synth.status == 0, "\(synth.stderr)")
        let inspect = try magicpig(["inspect", "c.h5"], cwd: dir)
        #expect(inspect.status == 0 && inspect.stdout.contains("4 heads / 2 KV heads, head_dim 16"), "\(inspect.stdout)\(inspect.stderr)")
        try "name: e2e\ncaptures: [c.h5]\nseeds: [0]\nmethods:\n  - {method: exact}\n  - {method: magicpig, K: 6, L: [20, 40]}\n"
            .write(toFile: dir + "/e.yaml", atomically: true, encoding: .utf8)
        let run = try magicpig(["run", "e.yaml", "--threads", "2"], cwd: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "results/e2e")
        #expect(run.stderr.contains("chunk 2/2"), "progress goes to stderr")
        let summary = try String(contentsOfFile: dir + "/results/e2e/summary.csv", encoding: .utf8)
        #expect(summary.split(separator: "\n").count == 4)
        #expect(summary.contains("magicpig_K6_L40"))
    }

    @Test func unknownMethodFailsBeforeAnyWork() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "name: bad\ncaptures: [missing.h5]\nmethods:\n  - {method: quest2}\n".write(toFile: dir + "/b.yaml", atomically: true, encoding: .utf8)
        let r = try magicpig(["run", "b.yaml"], cwd: dir)
        #expect(r.status != 0)
        #expect(r.stderr.contains("unknown method 'quest2'") && r.stderr.contains("magicpig"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/results"))
    }

    @Test func missingCaptureIsAClearError() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "name: m\ncaptures: [nothere.h5]\nmethods:\n  - {method: exact}\n".write(toFile: dir + "/m.yaml", atomically: true, encoding: .utf8)
        let r = try magicpig(["run", "m.yaml"], cwd: dir)
        #expect(r.status != 0)
        #expect(r.stderr.contains("nothere.h5"), "\(r.stderr)")
    }

    @Test func badSynthArgumentsAreRejected() throws {
        let r = try magicpig(["synth", "--out", "/tmp/x.h5", "--heads", "6", "--kv-heads", "4"])
        #expect(r.status != 0 && r.stderr.contains("multiple of --kv-heads"))
    }
}
