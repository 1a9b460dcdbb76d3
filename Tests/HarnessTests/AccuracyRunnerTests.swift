import Approximators
import Datasets
import Engine
import Foundation
import Kernels
import Testing
@testable import Harness

/// The accuracy runner on a tiny random model with a one-byte-per-token codec: no model file needed.
/// Scores of a random model are meaningless; what is checked is the plumbing — forks, setups, the exact
/// sanity check, fidelity, resume and the refusal of a folder made under another protocol.
@Suite struct AccuracyRunnerTests {
    static let model = ModelCaptureTests.tinyModel(.halfSplit, vocabulary: 128, context: 2048)

    /// One token per whitespace-separated word (a stable hash into the vocabulary); decoding writes ids back
    /// as words "w<id>". Lossy, but enough to size RULER prompts and to compare answers between runs.
    static let codec = PromptCodec(
        encode: { text in
            text.split(whereSeparator: \.isWhitespace).map { word in
                Int(word.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 } % 128)
            }
        },
        decode: { ids in ids.map { "w\($0)" }.joined(separator: " ") },
        messagePrefix: "<user> ", messageSuffix: " </user> <assistant>")

    static func config(methods: String = "[{method: exact}, {method: topk, budget: 0.1}, {method: magicpig, K: 4, L: 20}]",
                       setups: String = "[A, B]", taskSeed: Int = 0, samples: Int = 1) throws -> ExperimentConfig {
        try ConfigParser.parse(yaml: """
            name: tiny-accuracy
            kind: accuracy
            model: tiny
            tasks: [niah_single_1, vt]
            lengths: [700]
            samples_per_task: \(samples)
            task_seed: \(taskSeed)
            setups: \(setups)
            max_new_tokens: 3
            protocol: {sink: 4, local: 16, dense_layers: [0]}
            seeds: [0, 1]
            methods: \(methods)
            """)
    }

    static func folder() -> String { NSTemporaryDirectory() + "accuracy-\(UUID().uuidString)" }

    @Test func exactThroughTheSeamReproducesPlainDecodingInBothSetups() throws {
        let out = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let outcome = try AccuracyRunner(config: try Self.config(), model: Self.model, codec: Self.codec,
                                         outputFolder: out, progress: Progress(quiet: true)).run()
        // 2 tasks × 1 sample × 2 setups × (reference + exact + topk + magicpig × 2 seeds).
        #expect(outcome.records.count == 2 * 2 * 5)
        #expect(outcome.cellsComputed == outcome.records.count && outcome.cellsReused == 0)
        let exact = outcome.records.filter { $0.methodID == "exact" }
        #expect(exact.count == 4 && exact.allSatisfy { $0.matchesPlainExact == true && $0.agreement == 1 && $0.meanKL < 1e-6 })
        #expect(exact.allSatisfy { $0.costFraction == 1 })
        let references = outcome.records.filter(\.isReference)
        #expect(references.allSatisfy { $0.agreement == 1 && $0.costFraction == nil && $0.generatedTokens <= 3 })
        // The sparse methods read a fraction of the keys and say so.
        let topk = outcome.records.filter { $0.method == "topk" }
        #expect(topk.allSatisfy { ($0.costFraction ?? 1) < 0.2 })
        // Only randomised methods run once per seed.
        #expect(Set(outcome.records.filter { $0.method == "magicpig" }.map(\.seed)) == [0, 1])
        #expect(Set(topk.map(\.seed)) == [0])
        // The report flags nothing for exact and pools seeds.
        let rows = AccuracyReport.rows(outcome.records)
        #expect(rows.count == 2 * 2 * 5 - 2 * 2)  // per (task, setup): reference, exact, topk, magicpig
        #expect(rows.filter { $0.methodID == "exact" }.allSatisfy { $0.flag.isEmpty && $0.exactMismatches == 0 })
        #expect(rows.first { $0.method == "magicpig" }?.samples == 2)
    }

    @Test func setupAReferenceIsPlainGreedyOnTheWholePrompt() throws {
        let out = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let config = try Self.config(methods: "[{method: exact}]", setups: "[A]", samples: 2)
        let outcome = try AccuracyRunner(config: config, model: Self.model, codec: Self.codec, outputFolder: out,
                                         progress: Progress(quiet: true)).run()
        let record = try #require(outcome.records.first { $0.isReference && $0.task == "vt" && $0.index == 1 })
        // Independently: generate the same sample, encode it, prefill it in one call, decode greedily.
        let generator = try TaskGenerator(task: .vt, targetTokens: 700, overheadTokens: Self.codec.overheadTokens,
                                          seed: 0, countTokens: { Self.codec.encode($0).count })
        let sample = try generator.sample(1)
        let ids = Self.codec.encode("<user> " + sample.context) + Self.codec.encode(sample.query + " </user> <assistant>" + sample.answerPrefix)
        #expect(record.promptTokens == ids.count)
        let session = Self.model.makeSession()
        try session.prefill(ids)
        let answer = try session.greedy(maxTokens: 3)
        #expect(record.prediction == Self.codec.decode(answer))
    }

    @Test func resumesAndComputesOnlyNewMethods() throws {
        let out = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let first = try AccuracyRunner(config: try Self.config(methods: "[{method: topk, budget: 0.1}]"), model: Self.model,
                                       codec: Self.codec, outputFolder: out, progress: Progress(quiet: true)).run()
        let again = try AccuracyRunner(config: try Self.config(methods: "[{method: topk, budget: 0.1}]"), model: Self.model,
                                       codec: Self.codec, outputFolder: out, progress: Progress(quiet: true)).run()
        #expect(again.cellsComputed == 0 && again.cellsReused == first.records.count && again.records == first.records)
        let grown = try AccuracyRunner(
            config: try Self.config(methods: "[{method: topk, budget: 0.1}, {method: streaming_llm}]"), model: Self.model,
            codec: Self.codec, outputFolder: out, progress: Progress(quiet: true)).run()
        #expect(grown.cellsComputed == 2 * 2)  // the new method's cells only (2 tasks × 2 setups)
        // Each sample's wall time accumulates over the runs that worked on it: two here, none for the rerun.
        let timing = try JSONDecoder().decode(AccuracyRunner.SampleTiming.self,
                                              from: try Data(contentsOf: URL(fileURLWithPath: "\(out)/cells/len700/vt/s000/timing.json")))
        #expect(timing.runs == 2 && timing.seconds > 0)
        #expect(again.samplesTimed == 2 && grown.samplesTimed == 2 && grown.computeSeconds > first.computeSeconds)
        #expect(abs(again.computeSeconds - first.computeSeconds) < 1e-9)
        #expect(grown.records.filter { $0.method == "topk" } == first.records.filter { $0.method == "topk" })
        // A cell made for another prompt text (a changed generator) is recomputed, not trusted.
        let cell = "\(out)/cells/len700/vt/s000/A__topk_budget0.1__seed0.json"
        let text = try String(contentsOfFile: cell, encoding: .utf8)
        let digest = try #require(first.records.first { $0.task == "vt" }?.promptDigest)
        try text.replacingOccurrences(of: digest, with: "0").write(toFile: cell, atomically: true, encoding: .utf8)
        let healed = try AccuracyRunner(
            config: try Self.config(methods: "[{method: topk, budget: 0.1}, {method: streaming_llm}]"), model: Self.model,
            codec: Self.codec, outputFolder: out, progress: Progress(quiet: true)).run()
        #expect(healed.cellsComputed == 1)
        #expect(healed.records.map { "\($0.methodID) \($0.prediction) \($0.promptDigest)" }
                == grown.records.map { "\($0.methodID) \($0.prediction) \($0.promptDigest)" })
        // Another task seed would mix prompts in one folder: refused.
        #expect(throws: HarnessError.self) {
            _ = try AccuracyRunner(config: try Self.config(taskSeed: 1), model: Self.model, codec: Self.codec,
                                   outputFolder: out, progress: Progress(quiet: true)).run()
        }
    }

    @Test func klIsTheClosedForm() {
        let p: [Float] = [0.5, 0.25, 0.25].map { Float(log(Double($0))) }
        let q: [Float] = [0.25, 0.25, 0.5].map { Float(log(Double($0))) }
        // 0.5·ln 2 + 0.25·ln 0.5 = 0.25 ln 2.
        #expect(abs(FidelityDecode.kl(p, q) - 0.25 * log(2.0)) < 1e-6)
        #expect(FidelityDecode.kl(p, p) < 1e-9)
        let lse = FidelityDecode.logSoftmax([1, 2, 3])
        #expect(abs(lse.map { exp(Double($0)) }.reduce(0, +) - 1) < 1e-6)
    }

    @Test func reportFlagsAMethodThatBeatsExact() {
        func record(_ id: String, _ index: Int, _ score: Double) -> AccuracyRecord {
            AccuracyRecord(length: 100, task: "cwe", index: index, setup: .a, methodID: id, method: id == "reference" ? "exact" : "x",
                           parameters: "", seed: 0, prediction: "", references: [], promptDigest: "", score: score, promptTokens: 1,
                           queryTokens: 1, generatedTokens: 1, costFraction: id == "reference" ? nil : 0.02,
                           keysFraction: nil, agreement: 1, meanKL: 0, klSteps: 1, matchesPlainExact: nil, seconds: 0)
        }
        // Keys over all layers: a method's dense layers count whole. 24 layers, 1 dense, 2 % in the rest →
        // (1 + 23·0.02)/24; 2 dense → (2 + 22·0.02)/24; plain decoding 1.
        let accounting = AccuracyReport.LayerAccounting(layers: 24, denseLayers: ["two": 2], protocolDense: 1)
        var row = AccuracyReport.rows([record("better", 0, 1)])[0]
        row.keysFraction = 0.02
        #expect(abs(accounting.keysAllLayers(row)! - (1 + 23 * 0.02) / 24) < 1e-12)
        row.methodID = "two"
        #expect(abs(accounting.keysAllLayers(row)! - (2 + 22 * 0.02) / 24) < 1e-12)
        row.methodID = "reference"
        #expect(accounting.keysAllLayers(row) == 1)
        let scores = [0.2, 0.4, 0.3, 0.5]
        let records = scores.enumerated().flatMap { i, s in [record("reference", i, s), record("better", i, s + 0.3), record("same", i, s)] }
        let rows = AccuracyReport.rows(records)
        let better = rows.first { $0.methodID == "better" }!, same = rows.first { $0.methodID == "same" }!
        #expect(abs(better.minusExact - 30) < 1e-9 && better.minusExactCI95 < 1e-9 && !better.flag.isEmpty)
        #expect(same.flag.isEmpty && abs(same.minusExact) < 1e-9)
        // Mean ± 1.96 s/√n: scores 20, 40, 30, 50 → mean 35, s = √(500/3).
        let reference = rows.first { $0.methodID == "reference" }!
        #expect(abs(reference.score - 35) < 1e-9 && abs(reference.ci95 - 1.96 * (500.0 / 3 / 4).squareRoot()) < 1e-9)
        let table = AccuracyReport.rulerTable(rows)
        #expect(table.columns.contains("cwe") && table.rows.count == 3)
        #expect(table.rows.first { $0[2] == "better" }!.last!.contains("flagged"))
    }

    /// A method's own `dense_layers` replaces the protocol's: a lossy method made exact in every layer of
    /// the 2-layer model answers exactly as the reference, in both setups; its id and cells say so.
    @Test func perMethodDenseLayersOverrideTheProtocol() throws {
        let out = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let config = try Self.config(methods: "[{method: streaming_llm, dense_layers: [0, 1]}, {method: streaming_llm}]")
        let outcome = try AccuracyRunner(config: config, model: Self.model, codec: Self.codec, outputFolder: out,
                                         progress: Progress(quiet: true)).run()
        let allDense = outcome.records.filter { $0.methodID == "streaming_llm_dense0-1" }
        let sparse = outcome.records.filter { $0.methodID == "streaming_llm" }
        #expect(allDense.count == 4 && sparse.count == 4)
        for record in allDense {
            let reference = try #require(outcome.records.first {
                $0.isReference && $0.task == record.task && $0.setup == record.setup
            })
            #expect(record.prediction == reference.prediction && record.meanKL < 1e-9 && record.costFraction == 0)
        }
        #expect(sparse.allSatisfy { ($0.meanKL) > 1e-6 })
        #expect(FileManager.default.fileExists(atPath: "\(out)/cells/len700/vt/s000/B__streaming_llm_dense0-1__seed0.json"))
        // A layer the model does not have is refused before any work.
        let bad = try Self.config(methods: "[{method: exact, dense_layers: [2]}]")
        #expect(throws: HarnessError.self) {
            try AccuracyRunner(config: bad, model: Self.model, codec: Self.codec, outputFolder: Self.folder(),
                               progress: Progress(quiet: true)).run()
        }
    }

    /// Cells made with one KV cache type are not reused for another; a folder written before the field
    /// existed counts as Float32 (what the cache was then).
    @Test func refusesAFolderMadeWithAnotherKVCacheType() throws {
        let out = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let config = try Self.config(methods: "[{method: exact}]", setups: "[A]")
        let float32 = ModelCaptureTests.tinyModel(.halfSplit, vocabulary: 128, context: 2048, kvType: .float32)
        func run(_ model: LanguageModel) throws -> AccuracyRunner.Outcome {
            try AccuracyRunner(config: config, model: model, codec: Self.codec, outputFolder: out, progress: Progress(quiet: true)).run()
        }
        _ = try run(Self.model)
        #expect(throws: HarnessError.self) { try run(float32) }
        // An older fingerprint without the field: Float32 reuses it, Float16 is refused.
        let path = "\(out)/cells/fingerprint.json"
        var fields = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        #expect(fields.removeValue(forKey: "kvType") as? String == "float16")
        try JSONSerialization.data(withJSONObject: fields).write(to: URL(fileURLWithPath: path))
        #expect(throws: HarnessError.self) { try run(Self.model) }
        #expect(try run(float32).cellsComputed == 0)  // its cells are taken as Float32 ones and reused
    }

    /// `--finished-only` computes nothing and reports only the samples whose cells are all there.
    @Test func finishedOnlyReportsCompleteSamplesAndComputesNothing() throws {
        let out = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        var empty = AccuracyRunner(config: try Self.config(methods: "[{method: exact}]", setups: "[A]"), model: Self.model,
                                   codec: Self.codec, outputFolder: out, progress: Progress(quiet: true))
        empty.computeMissing = false
        let none = try empty.run()
        #expect(none.records.isEmpty && none.cellsComputed == 0 && none.samplesSkipped == 2)
        _ = try AccuracyRunner(config: try Self.config(methods: "[{method: exact}]", setups: "[A]"), model: Self.model,
                               codec: Self.codec, outputFolder: out, progress: Progress(quiet: true)).run()
        var more = AccuracyRunner(config: try Self.config(methods: "[{method: exact}]", setups: "[A]", samples: 3),
                                  model: Self.model, codec: Self.codec, outputFolder: out, progress: Progress(quiet: true))
        more.computeMissing = false
        let partial = try more.run()
        #expect(partial.cellsComputed == 0 && partial.samplesSkipped == 4)
        #expect(Set(partial.records.map(\.index)) == [0] && partial.records.count == 2 * 2)
        #expect(partial.records.map(\.task) == ["niah_single_1", "niah_single_1", "vt", "vt"])
    }

    @Test func accuracyConfigErrorsNameTheField() throws {
        func error(_ yaml: String) -> ConfigError? {
            do { _ = try ConfigParser.parse(yaml: yaml); return nil } catch { return error as? ConfigError }
        }
        let head = "name: x\nkind: accuracy\nmethods: [{method: exact}]\n"
        #expect(error(head + "setups: [C]")?.field == "setups[0]")
        #expect(error(head + "tasks: [niah_single_9]")?.field == "tasks[0]")
        #expect(error(head + "lengths: [10]")?.field == "lengths")
        #expect(error(head + "samples_per_task: 0")?.field == "samples_per_task")
        #expect(error(head + "chat: maybe")?.field == "chat")
        #expect(error("name: x\nkind: accuracy\nmethods: [{method: exact, dense_layers: zero}]")?.field == "methods[0].dense_layers")
        let grid = try? ConfigParser.parse(yaml: "name: x\nkind: accuracy\nmethods: [{method: magicpig, K: 10, L: [150, 170], dense_layers: [12, 0, 12]}]")
        #expect(try grid?.methodConfigurations().map(\.id) == ["magicpig_K10_L150_dense0-12", "magicpig_K10_L170_dense0-12"])
        #expect(try grid?.methodConfigurations().first?.approximator.parameters["K"] == "10")
        #expect(error(head + "kv_type: float8")?.field == "kv_type")
        #expect((try? ConfigParser.parse(yaml: head + "kv_type: float32"))?.accuracy.kvType == .float32)
        #expect((try? ConfigParser.parse(yaml: head))?.accuracy.kvType == .float16)
        let ok = try? ConfigParser.parse(yaml: head + "tasks: all\nsetups: [a, B]\nlengths: 4096")
        #expect(ok?.accuracy.tasks.count == 13 && ok?.accuracy.setups == [.a, .b] && ok?.accuracy.lengths == [4096])
    }
}
