import Approximators
import Datasets
import Foundation
import Testing
@testable import Harness

@Suite struct MethodSpecTests {
    @Test func parsesNamesAndParameters() throws {
        let pig = try MethodSpec.parse("magicpig:K=8,L=75,centering=false")
        #expect(pig.id == "magicpig_K8_L75_centeringfalse")
        #expect(pig.approximator.parameters["centering"] == "false")
        #expect(MethodSpec.format(pig) == "magicpig:K=8,L=75,centering=false")
        #expect(try MethodSpec.parse("topk:budget=0.02").id == "topk_budget0.02")
        #expect(try MethodSpec.parse("exact").id == "exact")
    }

    @Test func rejectsBadSpecs() {
        #expect(throws: ApproximatorError.unknownMethod("quest9", valid: ApproximatorRegistry.names)) { try MethodSpec.parse("quest9") }
        #expect(throws: ApproximatorError.self) { try MethodSpec.parse("magicpig:K") }
        #expect(throws: ApproximatorError.self) { try MethodSpec.parse("magicpig:K=40") }
    }
}

@Suite struct ReplayBenchmarkTests {
    @Test func timesEveryMethodAndCountsQueries() throws {
        let dir = NSTemporaryDirectory() + "magicpig-bench-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = SyntheticCaptureSpec(tokens: 300, layers: 2, heads: 4, kvHeads: 2, headDim: 16, steps: 3)
        try SyntheticCapture.write(spec, to: dir + "/b.h5")
        let methods = try ["exact", "magicpig:K=4,L=8"].map { try MethodSpec.parse($0) }
        let table = try ReplayBenchmark(capture: dir + "/b.h5", methods: methods, repeats: 1, numpyScript: nil,
                                        progress: Progress(quiet: true)).run()
        #expect(table.columns == ReplayBenchmark.columns)
        #expect(table.rows.count == 2)
        let column = { (name: String) in table.columns.firstIndex(of: name)! }
        for row in table.rows {
            #expect(row[column("engine")] == "magicpig")
            #expect(row[column("queries")] == "24")  // 2 layers × 4 heads × 3 steps
            #expect(Double(row[column("queries_per_s")])! > 0)
            #expect(row[column("speedup_vs_numpy")] == "")
        }
        try ReplayBenchmark(capture: dir + "/b.h5", methods: methods, repeats: 1, numpyScript: nil,
                            progress: Progress(quiet: true)).run(writingTo: dir + "/out/replay.csv")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out/replay.manifest.json"))) as! [String: Any]
        #expect((manifest["machine"] as? [String: Any])?["cores"] as? Int == ProcessInfo.processInfo.activeProcessorCount)
        #expect(manifest["config"] == nil)
        #expect(FileManager.default.fileExists(atPath: dir + "/out/replay.csv"))
    }
}

@Suite struct AttentionBenchmarkTests {
    /// A small geometry end to end: one row per method and context with the documented columns, dense as the
    /// reference, MagicPIG and TopK reading fewer bytes than dense, shares and ceilings positive, tables within
    /// the authors' bound.
    @Test func measuresEveryMethodAgainstDenseAndTheProbes() throws {
        var bench = AttentionBenchmark(contexts: [1024, 2048], bits: 8, tables: 40, threads: 2, heads: 8, kvHeads: 2, dim: 32,
                                       warmupSteps: 1, timedSteps: 3, progress: Progress(quiet: true))
        bench.probeBytes = 4 << 20
        let table = try bench.run()
        #expect(table.columns == AttentionBenchmark.columns)
        let rows = table.rows.map { Dictionary(uniqueKeysWithValues: zip(table.columns, $0)) }
        #expect(rows.map { $0["method"] ?? "" } == ["dense", "magicpig", "topk", "dense", "magicpig", "topk"])
        for row in rows {
            let number = { (column: String) in Double(row[column] ?? "") ?? .nan }
            #expect(number("ms_per_step") > 0 && number("bandwidth_share") > 0 && number("scattered_share") > 0)
            #expect(number("read_bandwidth_gb_per_s") > 0 && number("scattered_read_gb_per_s") > 0)
            #expect(number("speedup_if_scattered_gb_per_s") > 0)
            if row["method"] == "dense" {
                #expect(number("speedup_vs_dense") == 1 && number("cost_fraction") == 1)
                #expect(number("bytes_per_step") == number("kv_bytes"))
            } else {
                #expect(number("bytes_per_step") < number("kv_bytes") && number("cost_fraction") < 1)
            }
            if row["method"] == "magicpig" {
                #expect(number("table_bytes") > 0 && number("table_bytes") <= number("table_bytes_limit"))
            }
        }
        #expect(throws: HarnessError.self) { try AttentionBenchmark(heads: 6, kvHeads: 4, progress: Progress(quiet: true)).run() }
    }
}
