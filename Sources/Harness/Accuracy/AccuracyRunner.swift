import Approximators
import Datasets
import Engine
import Foundation
import Kernels

/// Runs a `kind: accuracy` experiment: every (length, task, sample) prompt answered greedily by the model
/// under every setup, once with plain exact decoding (the reference) and once per method configuration and
/// seed with the approximator inside the decode loop.
///
/// The context half of a prompt is prefilled once per sample and the KV cache forked for every answer, so a
/// method costs its decode steps (setup A also shares the exact prefill of the question). Each answer is a
/// cell file under `cells/`; a rerun skips finished cells whose prompt digest matches the prompt generated
/// now, and a config that gains a method or samples computes only the new cells. The reference's
/// distributions are not stored: it is decoded again when a sample has unfinished cells.
public struct AccuracyRunner {
    public var config: ExperimentConfig
    public var model: LanguageModel
    public var codec: PromptCodec
    public var outputFolder: String
    public var progress: Progress
    /// Stamped on every computed cell (see `AccuracyRecord.code`).
    public var codeVersion: String?
    /// false: compute nothing; report the samples whose cells are all finished and skip the rest (the table
    /// of a run stopped part-way).
    public var computeMissing = true

    public init(config: ExperimentConfig, model: LanguageModel, codec: PromptCodec, outputFolder: String,
                progress: Progress = Progress(), codeVersion: String? = nil) {
        self.codeVersion = codeVersion
        self.config = config
        self.model = model
        self.codec = codec
        self.outputFolder = outputFolder
        self.progress = progress
    }

    public struct Outcome: Sendable {
        /// In (length, task, sample, setup, reference first then config order, seed) order.
        public var records: [AccuracyRecord]
        public var cellsComputed: Int
        public var cellsReused: Int
        /// Samples left out because some of their cells were missing (`computeMissing == false`).
        public var samplesSkipped = 0
        /// Wall seconds spent computing the reported samples (prefill and every answer), summed over every
        /// run that worked on them, and how many of the reported samples have a timing (cells made before
        /// timings were kept have none).
        public var computeSeconds = 0.0
        public var samplesTimed = 0
    }

    /// `cells/…/sNNN/timing.json`: the wall time spent on one sample, accumulated over runs.
    struct SampleTiming: Codable {
        var seconds: Double
        var runs: Int
    }

    struct Answer {
        var configuration: MethodConfiguration
        var seed: UInt64
        var id: String { configuration.id }
    }

    /// What must not change between runs that share a results folder.
    struct Fingerprint: Codable, Equatable {
        var model: String
        var modelTokensContext: Int
        var taskSeed: UInt64
        var chat: Bool
        var sink: Int
        var local: Int
        var denseLayers: [Int]
        var maxNewTokens: Int?
        /// nil in folders written before the field existed, whose caches were Float32.
        var kvType: String?
    }

    public func run() throws -> Outcome {
        let spec = config.accuracy
        let configurations = try config.methodConfigurations()
        let answers = configurations.flatMap { c in
            (c.approximator.isRandomized ? config.seeds : [config.seeds[0]]).map { Answer(configuration: c, seed: $0) }
        }
        let longest = spec.lengths.max() ?? 0
        guard longest <= model.config.contextLength else {
            throw HarnessError.badArgument(
                "lengths: \(longest) tokens exceed \(spec.model)'s context of \(model.config.contextLength); use shorter lengths or a longer-context model")
        }
        for layer in config.denseLayers + configurations.flatMap({ $0.denseLayers ?? [] })
        where layer < 0 || layer >= model.config.layerCount {
            throw HarnessError.badArgument(
                "dense_layers: layer \(layer) does not exist; \(spec.model) has layers 0…\(model.config.layerCount - 1)")
        }
        try checkFingerprint(spec)

        let overhead = codec.overheadTokens
        let encode = codec.encode
        // Each sample's records with its (length, task, index) key: computed sample-major, reported task-major.
        var samples: [(key: (length: Int, task: Int, index: Int), records: [AccuracyRecord])] = []
        var computed = 0, reused = 0, skipped = 0, timed = 0
        var computeSeconds = 0.0, secondsComputing = 0.0, samplesComputed = 0
        let total = spec.lengths.count * spec.tasks.count * spec.samplesPerTask
        var done = 0
        // Sample-major: a run stopped part-way leaves every task with the same number of finished samples.
        for length in spec.lengths {
            let generators = try spec.tasks.map { task in
                try TaskGenerator(task: task, targetTokens: length, overheadTokens: overhead,
                                  seed: spec.taskSeed, countTokens: { encode($0).count })
            }
            for index in 0..<spec.samplesPerTask {
                for (task, generator) in zip(spec.tasks, generators) {
                    done += 1
                    let folder = "\(outputFolder)/cells/len\(length)/\(task.rawValue)/s\(String(format: "%03d", index))"
                    let sample = try generator.sample(index)
                    var (cached, missing) = try finishedCells(folder, digest: AccuracyRecord.digest(sample), answers: answers)
                    if missing && !computeMissing {
                        skipped += 1
                        continue
                    }
                    var timing = readTiming(folder)
                    if missing {
                        let started = Date()
                        let fresh = try answerSample(sample, length: length, answers: answers, cached: cached, folder: folder)
                        let seconds = Date().timeIntervalSince(started)
                        timing = SampleTiming(seconds: (timing?.seconds ?? 0) + seconds, runs: (timing?.runs ?? 0) + 1)
                        try writeTiming(timing!, folder)
                        computed += fresh.count
                        reused += cached.count
                        samplesComputed += 1
                        secondsComputing += seconds
                        for record in fresh { cached["\(record.setup.rawValue)__\(cellName(record))"] = record }
                        // The rest estimated as if every later sample needed computing at this run's mean.
                        let eta = secondsComputing / Double(samplesComputed) * Double(total - done) / 60
                        progress.say("[\(done)/\(total)] \(length) \(task.rawValue) #\(index): \(scoreLine(cached, answers: answers)) (\(Format.number((seconds * 10).rounded() / 10)) s; at most \(Format.number(eta.rounded())) min left)")
                    } else {
                        reused += cached.count
                    }
                    let records = spec.setups.flatMap { setup in
                        ([AccuracyRecord.referenceID] + answers.map { cellName($0) }).map { cached["\(setup.rawValue)__\($0)"]! }
                    }
                    samples.append(((length, spec.tasks.firstIndex(of: task)!, index), records))
                    if let timing {
                        computeSeconds += timing.seconds
                        timed += 1
                    }
                }
            }
        }
        // Reported in (length, task, sample) order, whatever order they were computed in.
        let sorted = samples.sorted { ($0.key.length, $0.key.task, $0.key.index) < ($1.key.length, $1.key.task, $1.key.index) }
            .flatMap(\.records)
        if skipped > 0 { progress.say("\(skipped) of \(total) samples unfinished: left out of the tables") }
        return Outcome(records: sorted, cellsComputed: computed, cellsReused: reused, samplesSkipped: skipped,
                       computeSeconds: computeSeconds, samplesTimed: timed)
    }

    /// Prefills the sample's context once, then answers every missing (setup, answer) cell.
    func answerSample(_ sample: TaskSample, length: Int, answers: [Answer], cached: [String: AccuracyRecord],
                      folder: String) throws -> [AccuracyRecord] {
        let spec = config.accuracy
        let (contextIDs, queryIDs) = codec.promptIDs(sample)
        let maxNew = min(sample.task.maxNewTokens, spec.maxNewTokens ?? Int.max)
        guard contextIDs.count + queryIDs.count + maxNew <= model.config.contextLength else {
            throw HarnessError.badArgument(
                "\(sample.task.rawValue) #\(sample.index): \(contextIDs.count + queryIDs.count) prompt + \(maxNew) answer tokens exceed the model's context of \(model.config.contextLength)")
        }
        let base = model.makeSession()
        try base.prefill(contextIDs)
        let protocolSpec = config.attentionProtocol
        var fresh: [AccuracyRecord] = []

        for setup in spec.setups {
            // The state every answer of this setup starts from, before the approximator is involved.
            let start: DecodeSession
            switch setup {
            case .a:
                start = try base.fork(seam: nil)
                try start.prefill(queryIDs)
            case .b:
                start = base
            }
            func session(_ seam: AttentionSeam?) throws -> DecodeSession {
                let s = try start.fork(seam: seam)
                if setup == .b { try s.step(queryIDs) }
                return s
            }
            func record(_ id: String, method: String, parameters: String, seed: UInt64, tokens: [Int],
                        statistics: AttentionStatistics?, agreement: Double, kl: Double, klSteps: Int,
                        matches: Bool?, seconds: Double) -> AccuracyRecord {
                let answer = tokens.filter { !codec.stopTokens.contains($0) }
                let prediction = codec.decode(answer)
                return AccuracyRecord(
                    length: length, task: sample.task.rawValue, index: sample.index, setup: setup, methodID: id,
                    method: method, parameters: parameters, seed: seed, prediction: prediction,
                    references: sample.references, promptDigest: AccuracyRecord.digest(sample),
                    score: RulerScore.score(sample.task.metric, prediction: prediction, references: sample.references),
                    promptTokens: contextIDs.count + queryIDs.count, queryTokens: queryIDs.count,
                    generatedTokens: tokens.count,
                    costFraction: statistics.map { $0.meanCostFraction },
                    keysFraction: statistics.map { $0.keysTotal == 0 ? 0 : Double($0.keysAttended) / Double($0.keysTotal) },
                    agreement: agreement, meanKL: kl, klSteps: klSteps, matchesPlainExact: matches, seconds: seconds,
                    code: codeVersion)
            }

            var clock = Date()
            let reference = try FidelityDecode.reference(try session(nil), maxTokens: maxNew, stop: codec.stopTokens)
            let referenceName = "\(setup.rawValue)__\(AccuracyRecord.referenceID)"
            if cached[referenceName] == nil {
                let r = record(AccuracyRecord.referenceID, method: "exact", parameters: "plain decoding", seed: 0,
                               tokens: reference.tokens, statistics: nil, agreement: 1, kl: 0, klSteps: reference.tokens.count,
                               matches: nil, seconds: Date().timeIntervalSince(clock))
                try writeCell(r, to: "\(folder)/\(referenceName).json")
                fresh.append(r)
            }
            for answer in answers where cached["\(setup.rawValue)__\(cellName(answer))"] == nil {
                clock = Date()
                let seam = AttentionSeam(approximator: answer.configuration.approximator,
                                         denseLayers: Set(answer.configuration.denseLayers(protocol: config.denseLayers)),
                                         attentionProtocol: protocolSpec, seed: answer.seed)
                let s = try session(seam)
                let outcome = try FidelityDecode.decode(s, maxTokens: maxNew, stop: codec.stopTokens, against: reference)
                let isExact = answer.configuration.method == "exact"
                let r = record(answer.id, method: answer.configuration.method,
                               parameters: answer.configuration.parameterSummary, seed: answer.seed,
                               tokens: outcome.tokens, statistics: s.statistics, agreement: outcome.agreement,
                               kl: outcome.meanKL, klSteps: outcome.klSteps,
                               matches: isExact ? outcome.tokens == reference.tokens : nil,
                               seconds: Date().timeIntervalSince(clock))
                try writeCell(r, to: "\(folder)/\(setup.rawValue)__\(cellName(answer)).json")
                fresh.append(r)
            }
        }
        return fresh
    }

    /// The sample's finished cells whose prompt digest is `digest`, keyed "A__id", and whether any is missing.
    func finishedCells(_ folder: String, digest: String, answers: [Answer]) throws -> ([String: AccuracyRecord], Bool) {
        var cached: [String: AccuracyRecord] = [:]
        var missing = false
        for setup in config.accuracy.setups {
            for id in [AccuracyRecord.referenceID] + answers.map({ cellName($0) }) {
                let name = "\(setup.rawValue)__\(id)"
                if let record = try readCell("\(folder)/\(name).json"), record.promptDigest == digest {
                    cached[name] = record
                } else {
                    missing = true
                }
            }
        }
        return (cached, missing)
    }

    /// "A: 100 100 0 | B: …": each answer's score ×100 in config order, the reference first.
    func scoreLine(_ cells: [String: AccuracyRecord], answers: [Answer]) -> String {
        config.accuracy.setups.map { setup in
            "\(setup.rawValue): " + ([AccuracyRecord.referenceID] + answers.map { cellName($0) }).compactMap { id in
                cells["\(setup.rawValue)__\(id)"].map { Format.number(($0.score * 100).rounded()) }
            }.joined(separator: " ")
        }.joined(separator: " | ")
    }

    func cellName(_ answer: Answer) -> String { "\(answer.id)__seed\(answer.seed)" }
    func cellName(_ record: AccuracyRecord) -> String {
        record.isReference ? record.methodID : "\(record.methodID)__seed\(record.seed)"
    }

    func readCell(_ path: String) throws -> AccuracyRecord? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        // A cell that does not decode (an older format, a damaged file) is recomputed, not trusted.
        return try? JSONDecoder().decode(AccuracyRecord.self, from: data)
    }

    func readTiming(_ folder: String) -> SampleTiming? {
        FileManager.default.contents(atPath: "\(folder)/timing.json").flatMap { try? JSONDecoder().decode(SampleTiming.self, from: $0) }
    }

    func writeTiming(_ timing: SampleTiming, _ folder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(try encoder.encode(timing), to: "\(folder)/timing.json")
    }

    func writeCell(_ record: AccuracyRecord, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(try encoder.encode(record), to: path)
    }

    /// Refuses a results folder made with another model, task seed or protocol: its cells would mix.
    func checkFingerprint(_ spec: AccuracySpec) throws {
        let fingerprint = Fingerprint(
            model: spec.model, modelTokensContext: model.config.contextLength, taskSeed: spec.taskSeed, chat: spec.chat,
            sink: config.attentionProtocol.sinkTokens, local: config.attentionProtocol.localWindow,
            denseLayers: config.denseLayers.sorted(), maxNewTokens: spec.maxNewTokens, kvType: model.kvType.rawValue)
        let path = "\(outputFolder)/cells/fingerprint.json"
        if let data = FileManager.default.contents(atPath: path) {
            guard var old = try? JSONDecoder().decode(Fingerprint.self, from: data) else {
                throw HarnessError.staleResults(folder: outputFolder, reason: "its cells/fingerprint.json cannot be read")
            }
            old.kvType = old.kvType ?? KVDType.float32.rawValue
            guard old == fingerprint else {
                throw HarnessError.staleResults(
                    folder: outputFolder,
                    reason: "its cells were made with another model, task seed, chat setting, protocol, answer length or KV cache type (kv_type)")
            }
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(fingerprint), to: path)
    }
}
