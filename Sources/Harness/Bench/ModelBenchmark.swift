import Engine
import Foundation
import Kernels

/// Whole-model speed: prefill tokens/s of C prompt tokens and decode tokens/s after a context of C, for this
/// engine and for llama.cpp (llama-cpp-python, scripts/bench_model_llamacpp.py) on the same GGUF file, the
/// same token ids and the same thread count, measured in the same command: the machine is shared, so the
/// ratio is the number to read.
///
/// The prompt is a deterministic text (the GPL-3 licence by default) tokenised with the model's tokenizer
/// (which gives llama.cpp's ids) and repeated to length; the ids go to both engines in one file. Prefill is
/// one call over ids[..<C] on an empty cache (512-token chunks in both engines); decode is `decodeTokens`
/// single-token steps over ids[C...] after that prefill, logits for each step included. Best of `repeats`.
///
/// Rounds: with `rounds` > 1 the two engines take turns (ours, llama.cpp, ours, …), each round a fresh pair of
/// processes, and the ratio is taken round by round, so a drift in the machine's speed during the command
/// (other tenants of a shared VM) moves both sides of each ratio together. The CSV reports the median round and
/// the median of the paired ratios, with every round's tokens/s and ratio beside them: one pair of runs on this
/// VM gave llama.cpp decode rates 40 % apart minutes apart, so ratios near 1 need several rounds.
///
/// Peak RSS: each engine measures one model in its own process (ours: this executable re-run as a worker,
/// see `workerArguments`), so `peak_rss_mb` is that process's ru_maxrss — the mapped weights it touched, its
/// KV cache and scratch. Without a worker executable our side runs in this process and the column is the
/// process's peak so far (`rss_scope` says which).
public struct ModelBenchmark {
    public var models: [String]
    public var contexts: [Int]
    public var decodeTokens: Int
    public var threads: Int
    public var repeats: Int
    /// Turns each engine takes per model (see "Rounds").
    public var rounds: Int
    public var backend: BackendChoice
    /// Our KV cache storage (llama.cpp's side keeps its default, Float16).
    public var kvType: KVDType
    /// The prompt text, tokenised and repeated.
    public var textPath: String
    /// scripts/bench_model_llamacpp.py, or nil to time this engine only.
    public var llamaScript: String?
    public var python: String
    /// This executable, re-run with `workerArguments` once per model; nil measures in this process.
    public var workerExecutable: String?
    public var progress: Progress

    public init(models: [String] = ["smollm2", "qwen2.5-0.5b"], contexts: [Int] = [512, 4096], decodeTokens: Int = 32,
                threads: Int = 2, repeats: Int = 2, rounds: Int = 1, backend: BackendChoice = .default,
                kvType: KVDType = .float16, textPath: String = ModelBenchmark.defaultTextPath, llamaScript: String?, python: String = "python3",
                workerExecutable: String? = nil, progress: Progress = Progress()) {
        self.models = models
        self.contexts = contexts
        self.decodeTokens = decodeTokens
        self.threads = threads
        self.repeats = repeats
        self.rounds = rounds
        self.backend = backend
        self.kvType = kvType
        self.textPath = textPath
        self.llamaScript = llamaScript
        self.python = python
        self.workerExecutable = workerExecutable
        self.progress = progress
    }

    public static let defaultTextPath = "/usr/share/common-licenses/GPL-3"

    public static let columns = ["engine", "model", "backend", "kv_type", "phase", "context", "tokens", "seconds", "cpu_seconds", "tokens_per_s",
                                 "ratio_vs_llamacpp", "threads", "repeats", "peak_rss_mb", "rss_scope",
                                 "rounds", "ratio_min", "ratio_max", "round_tokens_per_s", "round_ratios"]

    /// One engine's timings of one model.
    public struct EngineRun: Sendable {
        public var engine: String
        public var model: String
        public var backend: String
        /// How the engine stored its KV cache ("float16", "float32").
        public var kvType: String
        public var timings: [PhaseTiming]
        public var peakRSSMegabytes: Double
        public var rssScope: String
        /// Which turn of the engine this was (0-based; see "Rounds").
        public var round: Int

        public init(engine: String, model: String, backend: String, kvType: String = "float16", timings: [PhaseTiming],
                    peakRSSMegabytes: Double, rssScope: String, round: Int = 0) {
            self.engine = engine
            self.model = model
            self.backend = backend
            self.kvType = kvType
            self.timings = timings
            self.peakRSSMegabytes = peakRSSMegabytes
            self.rssScope = rssScope
            self.round = round
        }
    }

    /// Runs the benchmark and writes the CSV and, beside it, `<name>.manifest.json` (machine, commit, threads).
    public func run(writingTo csvPath: String) throws {
        let started = Date()
        var manifest = Manifest.start(config: nil, threads: threads, seeds: [], at: started)
        let table = try Self.table(try run(), threads: threads, repeats: repeats)
        for name in models {
            if let url = try? ModelStore().resolve(name) {
                let bytes = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
                manifest.captures.append(.init(path: url.path, bytes: bytes, model: name, source: "GGUF benchmarked"))
            }
        }
        try table.write(to: csvPath)
        manifest.finish(started: started)
        try manifest.write(to: (csvPath.hasSuffix(".csv") ? String(csvPath.dropLast(4)) : csvPath) + ".manifest.json")
    }

    /// Every engine run, ours then llama.cpp's, round by round, model by model.
    public func run() throws -> [EngineRun] {
        guard let maxContext = contexts.max(), contexts.allSatisfy({ $0 >= 1 }) else {
            throw HarnessError.badArgument("--contexts must be positive token counts, e.g. 512,4096")
        }
        guard rounds >= 1 else { throw HarnessError.badArgument("--rounds must be at least 1") }
        let text: String
        do { text = try String(contentsOfFile: textPath, encoding: .utf8) } catch {
            throw HarnessError.badArgument("cannot read the prompt text \(textPath): \(error.localizedDescription)")
        }
        var runs: [EngineRun] = []
        for name in models {
            let url = try ModelStore().resolve(name)
            let tokenizer = try Tokenizer(gguf: GGUFFile(url: url))
            let ids = try Self.promptIDs(text: text, tokenizer: tokenizer, count: maxContext + decodeTokens)
            let idsPath = NSTemporaryDirectory() + "magicpig-bench-ids-\(UUID().uuidString).txt"
            try AtomicFile.write(ids.map(String.init).joined(separator: " "), to: idsPath)
            defer { try? FileManager.default.removeItem(atPath: idsPath) }

            for round in 0..<rounds {
                if rounds > 1 { progress.say("\(name): round \(round + 1) of \(rounds)") }
                runs += try turn(model: name, url: url, ids: ids, idsPath: idsPath, round: round)
            }
        }
        return runs
    }

    /// One turn of each engine on one model: ours, then llama.cpp's (when a helper is given).
    func turn(model name: String, url: URL, ids: [Int], idsPath: String, round: Int) throws -> [EngineRun] {
        var runs: [EngineRun] = []
        let ours: EngineRun
        if let workerExecutable {
            let output = try runChild(workerExecutable, workerArguments(model: name, idsFile: idsPath), label: "magicpig \(name)")
            let (timings, rss) = try Self.parseTimings(output, source: "magicpig worker")
            ours = EngineRun(engine: "magicpig", model: name, backend: backend.rawValue, kvType: kvType.rawValue,
                             timings: timings, peakRSSMegabytes: rss, rssScope: "child process", round: round)
        } else {
            let model = try LanguageModel(path: url.path, backend: backend.make(), threads: threads, kvType: kvType)
            let timings = try Self.measure(model: model, ids: ids, contexts: contexts, decodeTokens: decodeTokens,
                                           repeats: repeats, progress: progress)
            ours = EngineRun(engine: "magicpig", model: name, backend: backend.rawValue, kvType: kvType.rawValue, timings: timings,
                             peakRSSMegabytes: Self.peakRSSMegabytes(), rssScope: "this process", round: round)
        }
        runs.append(ours)
        if let llamaScript {
            let args = [llamaScript, "--model", url.path, "--ids-file", idsPath,
                        "--contexts", contexts.map(String.init).joined(separator: ","),
                        "--decode-tokens", String(decodeTokens), "--threads", String(threads), "--repeats", String(repeats)]
            let output = try runChild("/usr/bin/env", [python] + args, label: "llama.cpp \(name)",
                                      hint: "is llama-cpp-python installed? pip install llama-cpp-python, or pass --llamacpp none")
            let (timings, rss) = try Self.parseTimings(output, source: llamaScript)
            // The helper leaves llama.cpp's cache at its default, f16 keys and values.
            runs.append(EngineRun(engine: "llama.cpp", model: name, backend: "ggml", kvType: "float16", timings: timings,
                                  peakRSSMegabytes: rss, rssScope: "child process", round: round))
        }
        return runs
    }

    /// The arguments that make this executable measure one model and print `parseTimings`' format.
    public func workerArguments(model: String, idsFile: String) -> [String] {
        ["bench", "model", "--worker", "--model", model, "--ids-file", idsFile,
         "--contexts", contexts.map(String.init).joined(separator: ","), "--decode-tokens", String(decodeTokens),
         "--threads", String(threads), "--repeats", String(repeats), "--backend", backend.rawValue,
         "--kv-type", kvType.rawValue]
    }

    /// The worker's side: loads `model`, measures it on the ids in `idsFile`, and returns the lines to print.
    public func workerOutput(model name: String, idsFile: String) throws -> String {
        let text = try String(contentsOfFile: idsFile, encoding: .utf8)
        let ids = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" }).compactMap { Int($0) }
        let loaded = try ModelLoader.load(name: name, backend: backend, threads: threads, kvType: kvType)
        let timings = try Self.measure(model: loaded.model, ids: ids, contexts: contexts, decodeTokens: decodeTokens,
                                       repeats: repeats, progress: progress)
        return Self.format(timings, peakRSSMegabytes: Self.peakRSSMegabytes())
    }

    // MARK: - Measuring

    /// Prefill and decode timings of `model` at each context (best of `repeats`); ids must hold
    /// max(contexts) + decodeTokens tokens.
    public static func measure(model: LanguageModel, ids: [Int], contexts: [Int], decodeTokens: Int, repeats: Int,
                               progress: Progress = Progress(quiet: true)) throws -> [PhaseTiming] {
        guard let maxContext = contexts.max(), ids.count >= maxContext + decodeTokens else {
            throw HarnessError.badArgument("the benchmark needs \((contexts.max() ?? 0) + decodeTokens) prompt ids, got \(ids.count)")
        }
        // Warm-up: first touch of the mapped weights, thread pool start.
        try model.makeSession().prefill(Array(ids[..<min(8, ids.count)]))
        var timings: [PhaseTiming] = []
        for c in contexts {
            var prefill = PhaseTiming(phase: "prefill", context: c, tokens: c, seconds: .infinity)
            var decode = PhaseTiming(phase: "decode", context: c, tokens: decodeTokens, seconds: .infinity)
            for _ in 0..<max(1, repeats) {
                let session = model.makeSession()
                let t0 = Date(), u0 = processCPUSeconds()
                try session.prefill(Array(ids[..<c]))
                let t1 = Date(), u1 = processCPUSeconds()
                for id in ids[c ..< c + decodeTokens] { try session.step(id) }
                let t2 = Date(), u2 = processCPUSeconds()
                if t1.timeIntervalSince(t0) < prefill.seconds { (prefill.seconds, prefill.cpuSeconds) = (t1.timeIntervalSince(t0), u1 - u0) }
                if t2.timeIntervalSince(t1) < decode.seconds { (decode.seconds, decode.cpuSeconds) = (t2.timeIntervalSince(t1), u2 - u1) }
            }
            timings += [prefill, decode]
            progress.say("magicpig c=\(c): prefill \(Format.number(prefill.tokensPerSecond)) tok/s, decode \(Format.number(decode.tokensPerSecond)) tok/s")
        }
        return timings
    }

    /// `count` ids: the text's tokens repeated (a text of no tokens is an error).
    public static func promptIDs(text: String, tokenizer: Tokenizer, count: Int) throws -> [Int] {
        let tokens = tokenizer.encode(text).map(Int.init)
        guard !tokens.isEmpty else { throw HarnessError.badArgument("the prompt text has no tokens") }
        return (0..<count).map { tokens[$0 % tokens.count] }
    }

    /// CPU seconds this process has used (all threads): beside wall time it shows how much of the machine
    /// a phase took, which a shared machine's wall times do not.
    public static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// This process's peak resident set (ru_maxrss, KiB on Linux) in MB.
    public static func peakRSSMegabytes() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    // MARK: - Results

    /// The CSV: one row per (engine, model, phase, context) — the median of its rounds — with our rows'
    /// tokens/s over llama.cpp's as the median of the per-round (paired) ratios.
    public static func table(_ runs: [EngineRun], threads: Int, repeats: Int) throws -> CSVTable {
        var table = CSVTable(columns: columns)
        var seen: Set<String> = []
        for first in runs where seen.insert(first.engine + "\u{0}" + first.model).inserted {
            let rounds = runs.filter { $0.engine == first.engine && $0.model == first.model }.sorted { $0.round < $1.round }
            let peers = runs.filter { $0.engine == "llama.cpp" && $0.model == first.model }
            for t in first.timings {
                func timing(_ run: EngineRun) -> PhaseTiming? {
                    run.timings.first { $0.phase == t.phase && $0.context == t.context }
                }
                let perRound = rounds.compactMap { run in timing(run).map { (run.round, $0) } }
                // The median round by wall time (the faster of the middle two for an even count).
                let median = perRound.map(\.1).sorted { $0.seconds < $1.seconds }[(perRound.count - 1) / 2]
                var row = [
                    "engine": first.engine, "model": first.model, "backend": first.backend, "kv_type": first.kvType,
                    "phase": t.phase,
                    "context": String(t.context), "tokens": String(median.tokens), "seconds": Format.number(median.seconds),
                    "cpu_seconds": Format.number(median.cpuSeconds), "tokens_per_s": Format.number(median.tokensPerSecond),
                    "threads": String(threads), "repeats": String(repeats),
                    "peak_rss_mb": Format.number(rounds.map(\.peakRSSMegabytes).max() ?? 0), "rss_scope": first.rssScope,
                    "rounds": String(perRound.count),
                    "round_tokens_per_s": perRound.map { Format.number($0.1.tokensPerSecond) }.joined(separator: ";"),
                ]
                let ratios = perRound.compactMap { round, ours -> Double? in
                    guard let peer = peers.first(where: { $0.round == round }).flatMap(timing) else { return nil }
                    return ours.tokensPerSecond / peer.tokensPerSecond
                }
                if !ratios.isEmpty {
                    let sorted = ratios.sorted(), n = sorted.count
                    let middle = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
                    row["ratio_vs_llamacpp"] = Format.number(middle)
                    row["ratio_min"] = Format.number(sorted[0])
                    row["ratio_max"] = Format.number(sorted[n - 1])
                    row["round_ratios"] = ratios.map(Format.number).joined(separator: ";")
                }
                table.append(row)
            }
        }
        return table
    }

    /// Rows `phase context tokens seconds cpu_seconds` after a header line, then `peak_rss_mb <MB>`.
    public static func format(_ timings: [PhaseTiming], peakRSSMegabytes: Double) -> String {
        (["phase\tcontext\ttokens\tseconds\tcpu_seconds"]
            + timings.map { "\($0.phase)\t\($0.context)\t\($0.tokens)\t\($0.seconds)\t\($0.cpuSeconds)" }
            + ["peak_rss_mb\t\(peakRSSMegabytes)"]).joined(separator: "\n") + "\n"
    }

    public static func parseTimings(_ output: String, source: String) throws -> ([PhaseTiming], Double) {
        var timings: [PhaseTiming] = []
        var rss: Double?
        for line in output.split(separator: "\n") {
            let f = line.split(separator: "\t").map(String.init)
            if f.count == 2, f[0] == "peak_rss_mb" { rss = Double(f[1]) }
            if f.count == 5, let c = Int(f[1]), let n = Int(f[2]), let s = Double(f[3]), let u = Double(f[4]) {
                timings.append(PhaseTiming(phase: f[0], context: c, tokens: n, seconds: s, cpuSeconds: u))
            }
        }
        guard !timings.isEmpty, let rss else {
            throw HarnessError.badArgument("\(source) printed no timings; its output was:\n\(output)")
        }
        return (timings, rss)
    }

    func runChild(_ executable: String, _ arguments: [String], label: String, hint: String = "") throws -> String {
        try PeerProcess.run(executable, arguments, threads: threads, label: label, hint: hint, progress: progress)
    }
}

/// One measured phase: `tokens` tokens in `seconds` of wall time and `cpuSeconds` of the process's CPU time
/// (prefill: the C prompt tokens; decode: steps after C).
public struct PhaseTiming: Sendable, Equatable {
    public var phase: String
    public var context: Int
    public var tokens: Int
    public var seconds: Double
    public var cpuSeconds: Double
    public var tokensPerSecond: Double { Double(tokens) / seconds }

    public init(phase: String, context: Int, tokens: Int, seconds: Double, cpuSeconds: Double = 0) {
        self.phase = phase
        self.context = context
        self.tokens = tokens
        self.seconds = seconds
        self.cpuSeconds = cpuSeconds
    }
}
