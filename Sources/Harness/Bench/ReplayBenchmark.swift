import Approximators
import Datasets
import Foundation
import Kernels

/// Replay throughput: captured queries per second through each method's prepare + attend,
/// with a numpy implementation of the same methods timed in the same command, and the ratio.
/// Layers are read into memory before timing; no metrics are computed (recordWeights false).
public struct ReplayBenchmark {
    public var capture: String
    public var methods: [MethodConfiguration]
    public var attentionProtocol: AttentionProtocol
    public var threads: Int
    public var repeats: Int
    /// scripts/bench_replay_numpy.py, or nil to time Swift only.
    public var numpyScript: String?
    public var python: String
    public var progress: Progress

    public init(capture: String, methods: [MethodConfiguration], attentionProtocol: AttentionProtocol = AttentionProtocol(),
                threads: Int = 1, repeats: Int = 3, numpyScript: String?, python: String = "python3", progress: Progress = Progress()) {
        self.capture = capture
        self.methods = methods
        self.attentionProtocol = attentionProtocol
        self.threads = threads
        self.repeats = repeats
        self.numpyScript = numpyScript
        self.python = python
        self.progress = progress
    }

    public static let columns = ["engine", "method", "config", "capture", "tokens", "queries", "threads", "repeats",
                                 "seconds", "prepare_seconds", "queries_per_s", "speedup_vs_numpy"]

    /// Runs the benchmark and writes the CSV and, beside it, `<name>.manifest.json` (machine,
    /// commit, threads): these are ratios on a shared machine, so say which machine.
    public func run(writingTo csvPath: String) throws {
        let started = Date()
        var manifest = Manifest.start(config: nil, threads: threads, seeds: [0], at: started)
        let table = try run()
        let bytes = (try? FileManager.default.attributesOfItem(atPath: capture)[.size] as? Int) ?? 0
        let header = try CaptureFile(path: capture).header
        manifest.captures = [.init(path: capture, bytes: bytes, model: header.model, source: header.extra["source"])]
        try table.write(to: csvPath)
        manifest.finish(started: started)
        try manifest.write(to: (csvPath.hasSuffix(".csv") ? String(csvPath.dropLast(4)) : csvPath) + ".manifest.json")
    }

    public func run() throws -> CSVTable {
        let file = try CaptureFile(path: capture)
        guard let sample = file.samples.first else { throw HarnessError.badArgument("\(capture) holds no samples") }
        let layers = try sample.layers.map { try file.readLayer(sample: sample.index, layer: $0) }
        let queries = layers.count * file.header.numHeads * sample.queryPositions.count
        var swiftRows: [(MethodConfiguration, seconds: Double, prepare: Double)] = []
        for m in methods {
            var best = Double.infinity, bestPrepare = Double.infinity
            for _ in 0..<repeats {
                let (total, prepare) = time(m.approximator, layers: layers, sample: sample)
                best = min(best, total)
                bestPrepare = min(bestPrepare, prepare)
            }
            progress.say("swift \(m.id): \(Format.number(Double(queries) / best)) queries/s")
            swiftRows.append((m, best, bestPrepare))
        }
        let numpy = try numpyScript.map { try runNumpy(script: $0) } ?? [:]

        var table = CSVTable(columns: Self.columns)
        for (m, seconds, prepare) in swiftRows {
            let np = numpy[MethodSpec.format(m)]
            var row = [
                "engine": "magicpig", "method": m.method, "config": m.id, "capture": capture,
                "tokens": String(sample.tokenCount), "queries": String(queries), "threads": String(threads),
                "repeats": String(repeats), "seconds": Format.number(seconds), "prepare_seconds": Format.number(prepare),
                "queries_per_s": Format.number(Double(queries) / seconds),
            ]
            if let np { row["speedup_vs_numpy"] = Format.number(np.seconds / seconds) }
            table.append(row)
            if let np {
                table.append([
                    "engine": "numpy", "method": m.method, "config": m.id, "capture": capture,
                    "tokens": String(sample.tokenCount), "queries": String(np.queries), "threads": String(threads),
                    "repeats": String(repeats), "seconds": Format.number(np.seconds),
                    "prepare_seconds": Format.number(np.prepare), "queries_per_s": Format.number(Double(np.queries) / np.seconds),
                    "speedup_vs_numpy": "1",
                ])
            }
        }
        return table
    }

    /// Seconds for the whole replay (prepare + every query) and for the prepares alone.
    func time(_ approximator: any AttentionApproximator, layers: [CaptureLayer], sample: CaptureSampleInfo) -> (Double, Double) {
        let replays = layers.flatMap { layer in (0..<layer.numKVHeads).map { HeadReplay(layer: layer, sample: sample, kvHead: $0) } }
        let context = attentionProtocol
        let start = Date()
        let sink = Checksum()
        Parallel.forEach(replays.count, threads: threads) { i in
            var acc: Float = 0
            replays[i].run(approximator, seed: 0, protocol: context, recordWeights: false) { _, _, r in acc += r.output[0] }
            sink.add(acc)
        }
        let total = Date().timeIntervalSince(start)
        let prepareStart = Date()
        Parallel.forEach(replays.count, threads: threads) { i in
            let r = replays[i]
            _ = approximator.prepare(cache: r.preparedCache(), context: HeadContext(layer: r.layer.layer, kvHead: r.kvHead, seed: 0, attentionProtocol: context))
        }
        return (total, Date().timeIntervalSince(prepareStart))
    }

    /// Runs the numpy implementation; it prints tab-separated rows spec, queries, seconds, prepare_seconds.
    func runNumpy(script: String) throws -> [String: (queries: Int, seconds: Double, prepare: Double)] {
        let arguments = [python, script, "--capture", capture, "--repeats", String(repeats),
                         "--sink", String(attentionProtocol.sinkTokens), "--local", String(attentionProtocol.localWindow)]
            + methods.flatMap { ["--method", MethodSpec.format($0)] }
        let output = try PeerProcess.run("/usr/bin/env", arguments, threads: threads, label: "numpy",
                                         hint: "is numpy/h5py installed? run scripts/setup.sh", progress: progress)
        var rows: [String: (Int, Double, Double)] = [:]
        for line in output.split(separator: "\n").dropFirst() {
            let f = line.split(separator: "\t").map(String.init)
            guard f.count == 4, let q = Int(f[1]), let s = Double(f[2]), let pr = Double(f[3]) else { continue }
            rows[f[0]] = (q, s, pr)
            progress.say("numpy \(f[0]): \(Format.number(Double(q) / s)) queries/s")
        }
        return rows
    }
}

/// Keeps results alive so the optimiser cannot drop the work being timed.
final class Checksum: @unchecked Sendable {
    private var value: Float = 0
    private let lock = NSLock()
    func add(_ x: Float) { lock.lock(); value += x; lock.unlock() }
}
