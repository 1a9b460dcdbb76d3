import Approximators
import Engine
import Foundation
import Kernels

/// `magicpig run CONFIG.yaml`: loads the config, runs it, writes the results folder.
public enum Experiment {
    public struct Options: Sendable {
        public var outputFolder: String?
        public var overrides: [String] = []
        public var threads: Int = Parallel.defaultThreadCount
        public var quiet = false
        /// Where a model's dense products run (`kind: accuracy`).
        public var backend: BackendChoice = .default
        /// `kind: accuracy`: tables from the finished cells only, nothing computed (`--finished-only`).
        public var finishedOnly = false
        public init() {}
    }

    /// Returns the results folder written.
    @discardableResult
    public static func run(configPath: String, options: Options) throws -> String {
        let config = try ConfigParser.load(path: configPath, overrides: options.overrides)
        let yaml = try ConfigParser.resolvedYAML(
            yaml: String(contentsOfFile: configPath, encoding: .utf8), file: configPath, overrides: options.overrides)
        let out = options.outputFolder ?? "results/\(config.name)"
        let progress = Progress(quiet: options.quiet)
        let started = Date()
        var manifest = Manifest.start(config: configPath, threads: options.threads, seeds: config.seeds, at: started)

        switch config.kind {
        case .replay:
            let configurations = try config.methodConfigurations()
            progress.say("\(config.name): \(configurations.count) method configurations × seeds \(config.seeds) on \(config.captures.count) capture(s) → \(out)")
            let outcome = try ReplayRunner(config: config, outputFolder: out, threads: options.threads, progress: progress).run()
            let methodOf = Dictionary(configurations.map { ($0.id, $0.method) }, uniquingKeysWith: { a, _ in a })
            // Chunk order, then config order within a chunk: the same for a fresh and a resumed run.
            let ordered = outcome.metrics
            try SummaryTable.metricsTable(ordered, methodOf: methodOf).write(to: "\(out)/metrics.csv")
            try SummaryTable.build(configurations: configurations, metrics: ordered, by: .all,
                                   protocol: config.attentionProtocol, denseLayers: config.denseLayers)
                .write(to: "\(out)/summary.csv")
            try SummaryTable.build(configurations: configurations, metrics: ordered, by: .concentration,
                                   protocol: config.attentionProtocol, denseLayers: config.denseLayers)
                .write(to: "\(out)/summary_by_concentration.csv")
            try SummaryTable.build(configurations: configurations, metrics: ordered, by: .layer,
                                   protocol: config.attentionProtocol, denseLayers: config.denseLayers)
                .write(to: "\(out)/summary_by_layer.csv")
            manifest.captures = outcome.captures
            manifest.cellsComputed = outcome.cellsComputed
            manifest.cellsReused = outcome.cellsReused
        case .uCurve:
            try UCurve.table(config.uCurve).write(to: "\(out)/u_vs_cosine.csv")
        case .accuracy:
            let outcome = try runAccuracy(config, out: out, options: options, progress: progress)
            manifest.cellsComputed = outcome.cellsComputed
            manifest.cellsReused = outcome.cellsReused
            manifest.cellCodeVersions = outcome.records.reduce(into: [:]) { $0[$1.code ?? "unrecorded", default: 0] += 1 }
            manifest.samplesSkipped = options.finishedOnly ? outcome.samplesSkipped : nil
            manifest.computeSeconds = (outcome.computeSeconds * 10).rounded() / 10
            manifest.samplesTimed = outcome.samplesTimed
            manifest.samplesReported = Set(outcome.records.map { "\($0.length) \($0.task) \($0.index)" }).count
        }
        try AtomicFile.write(yaml, to: "\(out)/config.yaml")
        manifest.finish(started: started)
        try manifest.write(to: "\(out)/manifest.json")
        progress.say("done in \(Format.number(manifest.wallSeconds)) s → \(out)")
        return out
    }
}

extension Experiment {
    /// Loads the model, answers every prompt, writes accuracy.csv, ruler_table.csv/.md and predictions.jsonl.
    static func runAccuracy(_ config: ExperimentConfig, out: String, options: Options, progress: Progress) throws -> AccuracyRunner.Outcome {
        let spec = config.accuracy
        let loaded = try ModelLoader.load(name: spec.model, backend: options.backend, threads: options.threads,
                                          kvType: spec.kvType)
        let model = loaded.model
        let codec = try PromptCodec(tokenizer: loaded.tokenizer, chat: spec.chat, stopTokens: model.stopTokens)
        let configurations = try config.methodConfigurations()
        let methods = configurations.map(\.id)
        progress.say("\(config.name): \(spec.model) answers \(spec.tasks.count) task(s) × \(spec.samplesPerTask) samples at \(spec.lengths.map(String.init).joined(separator: ", ")) tokens, setups \(spec.setups.map(\.rawValue).joined(separator: "+")), reference + \(methods.joined(separator: ", ")) → \(out)")
        var runner = AccuracyRunner(config: config, model: model, codec: codec, outputFolder: out, progress: progress,
                                    codeVersion: GitInfo.version())
        runner.computeMissing = !options.finishedOnly
        let outcome = try runner.run()
        guard !outcome.records.isEmpty else {
            throw HarnessError.badArgument("\(out): no sample has all its cells finished yet; run without --finished-only first")
        }
        let rows = AccuracyReport.rows(outcome.records)
        let p = config.attentionProtocol
        let denseOf = Dictionary(configurations.map { ($0.id, $0.denseLayers(protocol: config.denseLayers)) }) { a, _ in a }
        let accounting = AccuracyReport.LayerAccounting(
            layers: model.config.layerCount, denseLayers: denseOf.mapValues(\.count), protocolDense: Set(config.denseLayers).count)
        try AccuracyReport.accuracyTable(rows, model: spec.model, layers: accounting) { setup, methodID in
            let layers = denseOf[methodID] ?? Array(Set(config.denseLayers)).sorted()
            let dense = layers.isEmpty ? "none" : layers.map(String.init).joined(separator: " ")
            return "setup=\(setup.rawValue) sink=\(p.sinkTokens) local=\(p.localWindow) dense_layers=\(dense)"
        }.write(to: "\(out)/accuracy.csv")
        let table = AccuracyReport.rulerTable(rows, layers: accounting)
        try table.write(to: "\(out)/ruler_table.csv")
        try AtomicFile.write(AccuracyReport.markdown(table), to: "\(out)/ruler_table.md")
        try AtomicFile.write(try AccuracyReport.predictionsJSONL(outcome.records), to: "\(out)/predictions.jsonl")
        return outcome
    }
}
