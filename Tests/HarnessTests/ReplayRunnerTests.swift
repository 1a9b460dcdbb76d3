import Approximators
import Datasets
import Foundation
import Testing
@testable import Harness

/// End-to-end replay on a small synthetic capture: results, resume, and refusal to mix protocols.
@Suite(.serialized) final class ReplayRunnerTests {
    let dir: String
    let capture: String

    // Swift Testing makes one instance per test, so each test's folder goes with it.
    deinit { try? FileManager.default.removeItem(atPath: dir) }

    init() throws {
        dir = NSTemporaryDirectory() + "magicpig-runner-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        capture = dir + "/tiny.h5"
        let spec = SyntheticCaptureSpec(tokens: 600, layers: 2, heads: 4, kvHeads: 2, headDim: 32, steps: 4, seed: 7)
        try SyntheticCapture.write(spec, to: capture, elementType: .float32)
    }

    func config(_ methods: String, extra: String = "") throws -> ExperimentConfig {
        try ConfigParser.parse(yaml: """
            name: tiny
            captures: [\(capture)]
            protocol: {sink: 4, local: 16}
            seeds: [0, 1]
            methods:
            \(methods)
            \(extra)
            """)
    }

    func runner(_ config: ExperimentConfig) -> ReplayRunner {
        ReplayRunner(config: config, outputFolder: dir + "/out", threads: 2, progress: Progress(quiet: true))
    }

    @Test func exactAndFullBudgetTopKMatchTheReference() throws {
        let outcome = try runner(try config("  - {method: exact}\n  - {method: topk, budget: 1.0}")).run()
        // 2 layers × 4 heads × 4 steps per cell; deterministic methods run once (first seed).
        #expect(outcome.metrics.count == 2 * (2 * 4 * 4))
        #expect(outcome.cellsComputed == 2 * 2)
        for m in outcome.metrics {
            #expect(m.relL2 < 1e-5, "\(m.config) layer \(m.layer) head \(m.head) step \(m.step): \(m.relL2)")
            #expect(m.tv! < 1e-5)
            #expect(m.recall == 1)
            #expect(m.keys == 600 - 4 + m.step + 1)
            #expect(m.seed == 0)
        }
    }

    @Test func randomisedMethodsRunOncePerSeedAndSeedsDiffer() throws {
        let outcome = try runner(try config("  - {method: oracle_sampling, budget: 0.05}\n  - {method: magicpig, K: 4, L: 10}\n  - {method: topk, budget: 0.05}")).run()
        let perSeed = 2 * 4 * 4
        for id in ["oracle_sampling_budget0.05", "magicpig_K4_L10"] {
            let rows = outcome.metrics.filter { $0.config == id }
            #expect(rows.count == 2 * perSeed, "\(id) should run for both seeds")
            let seed0 = rows.filter { $0.seed == 0 }.map(\.relL2), seed1 = rows.filter { $0.seed == 1 }.map(\.relL2)
            #expect(seed0.count == perSeed && seed0 != seed1, "\(id): seeds 0 and 1 gave identical errors")
        }
        #expect(outcome.metrics.filter { $0.config == "topk_budget0.05" }.count == perSeed)
    }

    @Test func resumeSkipsFinishedCellsAndRunsOnlyNewOnes() throws {
        let first = try runner(try config("  - {method: exact}")).run()
        #expect(first.cellsComputed == 2 && first.cellsReused == 0)
        let again = try runner(try config("  - {method: exact}")).run()
        #expect(again.cellsComputed == 0 && again.cellsReused == 2)
        #expect(again.metrics.map(\.relL2) == first.metrics.map(\.relL2))
        let grown = try runner(try config("  - {method: exact}\n  - {method: topk, budget: 0.1}")).run()
        #expect(grown.cellsComputed == 2 && grown.cellsReused == 2)
    }

    @Test func changedProtocolIsRefused() throws {
        _ = try runner(try config("  - {method: exact}")).run()
        var changed = try config("  - {method: exact}")
        changed.attentionProtocol.sinkTokens = 8
        #expect(throws: HarnessError.self) { try runner(changed).run() }
    }

    @Test func denseLayersRunExactForEveryMethod() throws {
        var c = try config("  - {method: topk, budget: 0.05}")
        c.denseLayers = [1]
        let outcome = try runner(c).run()
        let dense = outcome.metrics.filter { $0.layer == 1 }
        let sparse = outcome.metrics.filter { $0.layer == 0 }
        #expect(!dense.isEmpty && dense.allSatisfy { $0.dense && $0.relL2 < 1e-5 && $0.keysAttendedFraction == 1 })
        #expect(sparse.allSatisfy { !$0.dense } && sparse.contains { $0.relL2 > 1e-4 })
    }

    /// A method's own dense_layers replaces the protocol's for that method only (the authors keep different
    /// layers exact for MagicPIG and for the baselines).
    @Test func perMethodDenseLayersApplyToTheirMethodOnly() throws {
        var c = try config("  - {method: topk, budget: 0.05, dense_layers: [0]}\n  - {method: topk, budget: 0.05}")
        c.denseLayers = [1]
        let outcome = try runner(c).run()
        let own = outcome.metrics.filter { $0.config == "topk_budget0.05_dense0" }
        let plain = outcome.metrics.filter { $0.config == "topk_budget0.05" }
        #expect(own.filter { $0.layer == 0 }.allSatisfy(\.dense) && own.filter { $0.layer == 1 }.allSatisfy { !$0.dense })
        #expect(plain.filter { $0.layer == 1 }.allSatisfy(\.dense) && plain.filter { $0.layer == 0 }.allSatisfy { !$0.dense })
        #expect(!own.isEmpty && !plain.isEmpty)
        let summary = SummaryTable.build(configurations: try c.methodConfigurations(), metrics: outcome.metrics,
                                         by: .all, protocol: c.attentionProtocol, denseLayers: c.denseLayers)
        let column = try #require(summary.columns.firstIndex(of: "dense_layers"))
        #expect(summary.rows.map { $0[column] } == ["0", "1"])
        // By layer: each configuration has one row per layer it ran sparse in.
        let byLayer = SummaryTable.build(configurations: try c.methodConfigurations(), metrics: outcome.metrics,
                                         by: .layer, protocol: c.attentionProtocol,
                                         denseLayers: c.denseLayers)
        let layer = try #require(byLayer.columns.firstIndex(of: "layer")), config = try #require(byLayer.columns.firstIndex(of: "config"))
        #expect(byLayer.rows.map { "\($0[config]) \($0[layer])" } == ["topk_budget0.05_dense0 1", "topk_budget0.05 0"])
        let summaryLayer = try #require(summary.columns.firstIndex(of: "layer"))
        #expect(summary.rows.allSatisfy { $0[summaryLayer] == "all" })
    }

    /// top_key_mass and top_key_u against a brute-force recomputation in Double from the capture: the exact
    /// softmax over the query's keys, the heaviest key of the prepared prompt's middle, its cosine with the
    /// query after subtracting the mean middle key, and u from the closed form (1 − θ/π)^K, P[Bin(L, p) ≥ 2].
    @Test func topKeyGeometryMatchesBruteForce() throws {
        let outcome = try runner(try config("  - {method: magicpig, K: 4, L: 10}\n  - {method: topk, budget: 0.05}")).run()
        let file = try CaptureFile(path: capture)
        let info = file.samples[0]
        let layer = try file.readLayer(sample: 0, layer: 1)
        let d = layer.headDim, n = layer.tokenCount
        let prepared = min(info.promptTokens, info.queryPositions[0] + 1)
        let middle = 4..<(prepared - 16)
        var checked = 0
        for m in outcome.metrics where m.layer == 1 && m.seed == 0 {
            let kv = layer.kvHead(forHead: m.head), base = kv * n * d
            let q = layer.query(head: m.head, step: m.step).map(Double.init)
            let visible = m.position + 1
            let logits = (0..<visible).map { i in (0..<d).reduce(0.0) { $0 + q[$1] * Double(layer.keys[base + i * d + $1]) } / Double(d).squareRoot() }
            let top = logits.max()!
            let z = logits.reduce(0.0) { $0 + exp($1 - top) }
            let best = middle.max { logits[$0] < logits[$1] }!
            #expect(abs(m.topKeyMass! - exp(logits[best] - top) / z) < 1e-4)
            var mean = [Double](repeating: 0, count: d)
            for i in middle { for j in 0..<d { mean[j] += Double(layer.keys[base + i * d + j]) / Double(middle.count) } }
            let k = (0..<d).map { Double(layer.keys[base + best * d + $0]) - mean[$0] }
            let cosine = zip(q, k).reduce(0.0) { $0 + $1.0 * $1.1 }
                / (q.reduce(0.0) { $0 + $1 * $1 }.squareRoot() * k.reduce(0.0) { $0 + $1 * $1 }.squareRoot())
            let p = pow(1 - acos(cosine) / Double.pi, 4)
            let u = 1 - pow(1 - p, 10) - 10 * p * pow(1 - p, 9)
            if m.config == "magicpig_K4_L10" {
                #expect(abs(m.topKeyU! - u) < 1e-4, "head \(m.head) step \(m.step)")
                checked += 1
            } else {
                #expect(m.topKeyU == nil)
            }
        }
        #expect(checked == 4 * 4)
        let summary = SummaryTable.build(configurations: try config("  - {method: magicpig, K: 4, L: 10}").methodConfigurations(),
                                         metrics: outcome.metrics, by: .all, protocol: AttentionProtocol(sinkTokens: 4, localWindow: 16),
                                         denseLayers: [])
        let column = try #require(summary.columns.firstIndex(of: "top_key_u_mean"))
        #expect(Double(summary.rows[0][column]) != nil)
    }

    @Test func missingLayerIsReportedBeforeWork() throws {
        var c = try config("  - {method: exact}")
        c.layers = [5]
        #expect(throws: HarnessError.layerNotInCapture(capture: capture, sample: 0, layer: 5, available: [0, 1])) {
            try runner(c).run()
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/out/cells"))
    }

    @Test func experimentWritesTheResultsFolder() throws {
        let path = dir + "/exp.yaml"
        try """
            name: tiny
            captures: [\(capture)]
            protocol: {sink: 4, local: 16}
            seeds: [0, 1]
            methods:
              - {method: exact}
              - {method: topk, budget: 0.05}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        var options = Experiment.Options()
        options.outputFolder = dir + "/results"
        options.quiet = true
        options.overrides = ["seeds=[3]"]
        let out = try Experiment.run(configPath: path, options: options)
        for file in ["summary.csv", "summary_by_concentration.csv", "summary_by_layer.csv", "metrics.csv", "config.yaml", "manifest.json"] {
            #expect(FileManager.default.fileExists(atPath: "\(out)/\(file)"), "\(file) missing")
        }
        let summary = try String(contentsOfFile: "\(out)/summary.csv", encoding: .utf8).split(separator: "\n")
        #expect(summary.count == 3)
        #expect(summary[0].hasPrefix("method,config,params,K,L,budget"))
        #expect(summary[2].hasPrefix("topk,topk_budget0.05,budget=0.05,,,0.05,4,16,,all,"))
        let yaml = try String(contentsOfFile: "\(out)/config.yaml", encoding: .utf8)
        #expect(yaml.contains("- 3"))
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/manifest.json"))) as! [String: Any]
        #expect(manifest["seeds"] as? [Int] == [3])
        #expect(manifest["cells_computed"] as? Int == 4)
    }
}
