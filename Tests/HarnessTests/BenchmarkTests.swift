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
