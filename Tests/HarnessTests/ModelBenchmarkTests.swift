import CPUBackend
import Engine
import Foundation
import Harness
import Testing

/// `bench model`'s measuring and CSV on the tiny in-memory model (shape, not timings), the worker protocol,
/// and the backend choice.
@Suite struct ModelBenchmarkTests {
    @Test func measuresPrefillAndDecodeAtEachContext() throws {
        let model = ModelCaptureTests.tinyModel(.adjacentPairs)
        let ids = (0..<40).map { ($0 * 7) % model.config.vocabularySize }
        let timings = try ModelBenchmark.measure(model: model, ids: ids, contexts: [8, 24], decodeTokens: 4, repeats: 2)
        #expect(timings.map(\.phase) == ["prefill", "decode", "prefill", "decode"])
        #expect(timings.map(\.context) == [8, 8, 24, 24])
        #expect(timings.map(\.tokens) == [8, 4, 24, 4])
        #expect(timings.allSatisfy { $0.seconds > 0 && $0.seconds.isFinite && $0.cpuSeconds >= 0 })
        #expect(throws: HarnessError.self) {
            try ModelBenchmark.measure(model: model, ids: Array(ids[..<20]), contexts: [24], decodeTokens: 4, repeats: 1)
        }
    }

    @Test func tableHasOneRowPerEnginePhaseAndContextWithRatios() throws {
        let model = ModelCaptureTests.tinyModel(.halfSplit)
        let ids = (0..<30).map { ($0 * 3) % model.config.vocabularySize }
        let ours = try ModelBenchmark.measure(model: model, ids: ids, contexts: [8, 16], decodeTokens: 2, repeats: 1)
        // The peer's rows as the llama.cpp helper prints them, through the same parser.
        let peerOutput = "phase\tcontext\ttokens\tseconds\tcpu_seconds\nprefill\t8\t8\t0.5\t0.9\ndecode\t8\t2\t0.25\t0.4\n"
            + "prefill\t16\t16\t1\t1.8\ndecode\t16\t2\t0.5\t0.9\npeak_rss_mb\t123.5\n"
        let (peer, rss) = try ModelBenchmark.parseTimings(peerOutput, source: "test")
        #expect(peer.count == 4 && rss == 123.5)
        let runs = [
            ModelBenchmark.EngineRun(engine: "magicpig", model: "tiny", backend: "swift", timings: ours, peakRSSMegabytes: 10, rssScope: "this process"),
            ModelBenchmark.EngineRun(engine: "llama.cpp", model: "tiny", backend: "ggml", timings: peer, peakRSSMegabytes: rss, rssScope: "child process"),
        ]
        let table = try ModelBenchmark.table(runs, threads: 2, repeats: 1)
        let lines = table.text.split(separator: "\n").map(String.init)
        #expect(lines.first == ModelBenchmark.columns.joined(separator: ","))
        #expect(lines.count == 1 + 8)
        let header = ModelBenchmark.columns
        for required in ["engine", "model", "phase", "context", "tokens_per_s", "threads", "peak_rss_mb", "backend", "repeats"] {
            #expect(header.contains(required))
        }
        let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows.allSatisfy { $0.count == header.count })
        func column(_ name: String) -> Int { header.firstIndex(of: name)! }
        #expect(rows.map { $0[column("engine")] } == Array(repeating: "magicpig", count: 4) + Array(repeating: "llama.cpp", count: 4))
        #expect(rows.map { $0[column("phase")] } == ["prefill", "decode", "prefill", "decode", "prefill", "decode", "prefill", "decode"])
        // Each row carries its tokens/s over llama.cpp's (1 on the peer's own rows).
        let first = rows[0]
        let ratio = try #require(Double(first[column("ratio_vs_llamacpp")]))
        let perSecond = try #require(Double(first[column("tokens_per_s")]))
        #expect(abs(ratio - perSecond / 16) < 1e-3 * ratio)
        #expect(rows[4][column("ratio_vs_llamacpp")] == "1" && rows[4][column("tokens_per_s")] == "16")
        #expect(rows.allSatisfy { $0[column("threads")] == "2" })
    }

    /// Rounds: one row per engine × phase × context, the median round's timing, the median of the paired
    /// (same-round) ratios with their range, and every round's figures beside them.
    @Test func roundsReportTheMedianRoundAndTheMedianPairedRatio() throws {
        func run(_ engine: String, round: Int, decodeSeconds: Double, rss: Double) -> ModelBenchmark.EngineRun {
            ModelBenchmark.EngineRun(engine: engine, model: "m", backend: engine == "llama.cpp" ? "ggml" : "openblas",
                                     timings: [PhaseTiming(phase: "decode", context: 512, tokens: 10, seconds: decodeSeconds, cpuSeconds: 1)],
                                     peakRSSMegabytes: rss, rssScope: "child process", round: round)
        }
        // Ours 10 / 20 / 5 tok/s; llama.cpp 10 / 10 / 10 in the same rounds: paired ratios 1, 2, 0.5.
        let runs = [run("magicpig", round: 0, decodeSeconds: 1, rss: 100), run("llama.cpp", round: 0, decodeSeconds: 1, rss: 90),
                    run("magicpig", round: 1, decodeSeconds: 0.5, rss: 120), run("llama.cpp", round: 1, decodeSeconds: 1, rss: 90),
                    run("magicpig", round: 2, decodeSeconds: 2, rss: 110), run("llama.cpp", round: 2, decodeSeconds: 1, rss: 95)]
        let table = try ModelBenchmark.table(runs, threads: 2, repeats: 1)
        #expect(table.rows.count == 2)
        let header = ModelBenchmark.columns
        func value(_ row: Int, _ name: String) -> String { table.rows[row][header.firstIndex(of: name)!] }
        #expect(value(0, "engine") == "magicpig" && value(1, "engine") == "llama.cpp")
        #expect(value(0, "rounds") == "3" && value(0, "tokens_per_s") == "10" && value(0, "seconds") == "1")
        #expect(value(0, "ratio_vs_llamacpp") == "1" && value(0, "ratio_min") == "0.5" && value(0, "ratio_max") == "2")
        #expect(value(0, "round_tokens_per_s") == "10;20;5" && value(0, "round_ratios") == "1;2;0.5")
        #expect(value(0, "peak_rss_mb") == "120")
        // Two rounds: the median ratio is the mean of the middle two, the reported round the faster middle one.
        let two = try ModelBenchmark.table(Array(runs[2...]), threads: 2, repeats: 1)
        #expect(two.rows[0][header.firstIndex(of: "ratio_vs_llamacpp")!] == "1.25")
        #expect(two.rows[0][header.firstIndex(of: "tokens_per_s")!] == "20")
    }

    @Test func workerOutputRoundTrips() throws {
        let timings = [PhaseTiming(phase: "prefill", context: 512, tokens: 512, seconds: 1.25, cpuSeconds: 2.5),
                       PhaseTiming(phase: "decode", context: 512, tokens: 32, seconds: 0.5, cpuSeconds: 0.75)]
        let (parsed, rss) = try ModelBenchmark.parseTimings(ModelBenchmark.format(timings, peakRSSMegabytes: 99.5), source: "test")
        #expect(parsed == timings && rss == 99.5)
        #expect(throws: HarnessError.self) { try ModelBenchmark.parseTimings("Traceback …\n", source: "test") }
    }

    @Test func backendChoiceMakesEachBackend() {
        #expect(BackendChoice.allCases.map { $0.make().name } == ["swift", "openblas"])
        #expect(BackendChoice.default == .openblas)
    }
}
