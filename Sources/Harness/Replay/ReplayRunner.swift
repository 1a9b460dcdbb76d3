import Approximators
import Datasets
import Foundation
import Kernels

/// Runs a replay experiment: every captured query of every (capture, sample, layer) through
/// every method configuration and seed, measured against exact attention.
///
/// Work is cut into cells — one (capture, sample, layer) × one (configuration, seed) — and each
/// finished cell is written atomically under `cells/`, so an interrupted run resumes where it
/// stopped and a config that gains a method computes only the new cells.
public struct ReplayRunner {
    public var config: ExperimentConfig
    public var outputFolder: String
    public var threads: Int
    public var progress: Progress

    public init(config: ExperimentConfig, outputFolder: String, threads: Int = Parallel.defaultThreadCount, progress: Progress = Progress()) {
        self.config = config
        self.outputFolder = outputFolder
        self.threads = threads
        self.progress = progress
    }

    struct Cell {
        var configuration: MethodConfiguration
        var seed: UInt64
        var fileName: String { "\(configuration.id)__seed\(seed).json" }
    }

    struct Chunk {
        var captureIndex: Int
        var capture: String
        var sample: CaptureSampleInfo
        var layer: Int
        var folderName: String {
            let stem = URL(fileURLWithPath: capture).deletingPathExtension().lastPathComponent
            return "c\(captureIndex)-\(stem)_s\(sample.index)_l\(layer)"
        }
    }

    public struct Outcome {
        public var metrics: [QueryMetrics]
        public var cellsComputed: Int
        public var cellsReused: Int
        public var captures: [Manifest.CaptureProvenance]
    }

    /// Validates everything (captures, samples, layers, methods) before any work, then runs.
    public func run() throws -> Outcome {
        let configurations = try config.methodConfigurations()
        // Deterministic methods give the same numbers for every seed: run them once.
        let cells = configurations.flatMap { c in
            (c.approximator.isRandomized ? config.seeds : [config.seeds[0]]).map { Cell(configuration: c, seed: $0) }
        }
        var files: [CaptureFile] = []
        var chunks: [Chunk] = []
        var provenance: [Manifest.CaptureProvenance] = []
        for (ci, path) in config.captures.enumerated() {
            let file = try CaptureFile(path: path)
            files.append(file)
            let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            provenance.append(.init(path: path, bytes: bytes, model: file.header.model, source: file.header.extra["source"]))
            let samples: [CaptureSampleInfo]
            if let wanted = config.samples {
                samples = try wanted.map { index in
                    guard let s = file.samples.first(where: { $0.index == index }) else {
                        throw HarnessError.sampleNotInCapture(capture: path, sample: index, available: file.samples.map(\.index))
                    }
                    return s
                }
            } else {
                samples = file.samples
            }
            for sample in samples {
                for layer in config.layers ?? sample.layers {
                    guard sample.layers.contains(layer) else {
                        throw HarnessError.layerNotInCapture(capture: path, sample: sample.index, layer: layer, available: sample.layers)
                    }
                    chunks.append(Chunk(captureIndex: ci, capture: path, sample: sample, layer: layer))
                }
            }
        }
        try checkFingerprint()

        var all: [QueryMetrics] = []
        var computed = 0, reused = 0
        let decoder = JSONDecoder()
        for (n, chunk) in chunks.enumerated() {
            let folder = "\(outputFolder)/cells/\(chunk.folderName)"
            var pending: [Cell] = []
            for cell in cells {
                let path = "\(folder)/\(cell.fileName)"
                if let data = FileManager.default.contents(atPath: path),
                   let rows = try? decoder.decode([QueryMetrics].self, from: data) {
                    all += rows
                    reused += 1
                } else {
                    pending.append(cell)
                }
            }
            let label = "chunk \(n + 1)/\(chunks.count) \(chunk.folderName)"
            if pending.isEmpty {
                progress.say("\(label): all \(cells.count) cells done before, skipped")
                continue
            }
            progress.say("\(label): \(pending.count) of \(cells.count) cells to run")
            let results = try runChunk(chunk, file: files[chunk.captureIndex], cells: pending)
            for (cell, rows) in zip(pending, results) {
                try AtomicFile.write(try JSONEncoder().encode(rows), to: "\(folder)/\(cell.fileName)")
                all += rows
                computed += 1
            }
        }
        return Outcome(metrics: all, cellsComputed: computed, cellsReused: reused, captures: provenance)
    }

    /// One layer read from disk, its exact reference computed once, then every pending cell.
    func runChunk(_ chunk: Chunk, file: CaptureFile, cells: [Cell]) throws -> [[QueryMetrics]] {
        let layer = try file.readLayer(sample: chunk.sample.index, layer: chunk.layer)
        let reference = ExactReference.compute(layer: layer, sample: chunk.sample,
                                               recallFraction: config.recallFraction, threads: threads)
        let topKeys = TopKey.compute(layer: layer, sample: chunk.sample, reference: reference, protocol: config.attentionProtocol)
        let kvHeads = layer.numKVHeads
        let tasks = cells.count * kvHeads
        let slots = UnsafeMutablePointer<[QueryMetrics]>.allocate(capacity: tasks)
        slots.initialize(repeating: [], count: tasks)
        defer { slots.deinitialize(count: tasks); slots.deallocate() }
        let out = SendablePointer(slots)
        let captureName = URL(fileURLWithPath: chunk.capture).lastPathComponent
        let sample = chunk.sample
        let attentionProtocol = config.attentionProtocol, denseLayers = config.denseLayers
        let cellList = cells
        Parallel.forEach(tasks, threads: threads) { t in
            let cell = cellList[t / kvHeads], kv = t % kvHeads
            let dense = cell.configuration.denseLayers(protocol: denseLayers).contains(chunk.layer)
            let approximator: any AttentionApproximator = dense ? ExactAttention() : cell.configuration.approximator
            var rows: [QueryMetrics] = []
            HeadReplay(layer: layer, sample: sample, kvHead: kv)
                .run(approximator, seed: cell.seed, protocol: attentionProtocol, recordWeights: true) { head, step, result in
                    let exact = reference.query(head: head, step: step)
                    let topKey = topKeys[head * layer.queryCount + step]
                    let m = QueryMetrics.measure(result, against: exact)
                    let keys = Double(result.cost.keysTotal)
                    rows.append(QueryMetrics(
                        capture: captureName, sample: sample.index, layer: layer.layer, head: head, kvHead: kv, step: step,
                        position: sample.queryPositions[step], keys: result.cost.keysTotal, dense: dense,
                        config: cell.configuration.id, seed: cell.seed, relL2: m.relL2, oneMinusCos: m.oneMinusCos,
                        tv: m.tv, recall: m.recall, costFraction: result.cost.costFraction,
                        keysAttendedFraction: Double(result.cost.keysAttended) / keys,
                        keysScoredFraction: Double(result.cost.keysScored) / keys, flops: result.cost.flops,
                        sampled: result.cost.sampled, exactEntropy: exact.normalizedEntropy, exactTopMass: exact.topMass,
                        topKeyMass: topKey?.mass, topKeyU: dense ? nil : topKey?.samplingProbability(under: cell.configuration)))
                }
            out.pointer[t] = rows
        }
        return (0..<cells.count).map { c in
            (0..<kvHeads).flatMap { slots[c * kvHeads + $0] }
                .sorted { ($0.head, $0.step) < ($1.head, $1.step) }
        }
    }

    /// Cells are only reusable under the same protocol, captures and metric settings.
    func checkFingerprint() throws {
        let fingerprint = [
            "captures: \(config.captures)",
            "samples: \(config.samples.map { "\($0)" } ?? "all")",
            "sink: \(config.attentionProtocol.sinkTokens)",
            "local: \(config.attentionProtocol.localWindow)",
            "dense_layers: \(config.denseLayers)",
            "recall_fraction: \(config.recallFraction)",
        ].joined(separator: "\n") + "\n"
        let path = "\(outputFolder)/cells/fingerprint.txt"
        if let existing = FileManager.default.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) }) {
            guard existing == fingerprint else {
                throw HarnessError.staleResults(folder: outputFolder, reason: "cells/fingerprint.txt differs: was\n\(existing)now\n\(fingerprint)")
            }
        } else {
            try AtomicFile.write(fingerprint, to: path)
        }
    }
}
