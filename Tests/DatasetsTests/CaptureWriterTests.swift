import Foundation
import Testing
@testable import Datasets

@Suite struct CaptureWriterTests {
    static let header = CaptureHeader(
        model: "writer-test", numLayers: 3, numHeads: 4, numKVHeads: 2, headDim: 8, extra: ["source": "unit test"])

    /// A layer whose values are multiples of 1/8 in [-4, 4): exact in float16, so sums compare exactly.
    static func layer(_ index: Int, tokens: Int, queries: Int, salt: Int = 0) -> CaptureLayer {
        func values(_ count: Int, _ offset: Int) -> [Float] {
            (0..<count).map { Float(((($0 + offset) * 37 + index * 11) % 64) - 32) / 8 }
        }
        let kv = 2 * tokens * 8
        return CaptureLayer(
            layer: index, tokenCount: tokens, queryCount: queries, headDim: 8, numHeads: 4, numKVHeads: 2,
            keys: values(kv, salt), values: values(kv, salt + 5), queries: values(4 * queries * 8, salt + 9))
    }

    /// Writes two samples (T = 12 and 9, layers {0, 2} and {1}).
    static func writeCapture(_ path: String, _ type: CaptureElementType) throws {
        let writer = try CaptureWriter(path: path, header: header, elementType: type)
        try writer.writeSample(index: 0, promptTokens: 10, queryPositions: [10, 11])
        try writer.writeLayer(sample: 0, layer(2, tokens: 12, queries: 2))
        try writer.writeLayer(sample: 0, layer(0, tokens: 12, queries: 2))
        try writer.writeSample(index: 1, promptTokens: 5, queryPositions: [2, 6, 8])
        try writer.writeLayer(sample: 1, layer(1, tokens: 9, queries: 3, salt: 3))
        try writer.finish()
    }

    @Test(arguments: [CaptureElementType.float16, .float32])
    func roundTrip(_ type: CaptureElementType) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("round.h5")
        try Self.writeCapture(path, type)
        let capture = try CaptureFile(path: path)
        #expect(capture.header == Self.header)
        #expect(capture.samples == [
            CaptureSampleInfo(index: 0, promptTokens: 10, queryPositions: [10, 11], tokenCount: 12, layers: [0, 2]),
            CaptureSampleInfo(index: 1, promptTokens: 5, queryPositions: [2, 6, 8], tokenCount: 9, layers: [1]),
        ])
        for (sample, l, t, s, salt) in [(0, 0, 12, 2, 0), (0, 2, 12, 2, 0), (1, 1, 9, 3, 3)] {
            let read = try capture.readLayer(sample: sample, layer: l)
            let want = Self.layer(l, tokens: t, queries: s, salt: salt)
            #expect(read.keys == want.keys && read.values == want.values && read.queries == want.queries)
        }
    }

    @Test func float16RoundsAndFloat32IsExact() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let odd: [Float] = (0..<(2 * 4 * 8)).map { 1 + Float($0) * 1e-4 }   // not representable in float16
        let layer = CaptureLayer(layer: 0, tokenCount: 4, queryCount: 1, headDim: 8, numHeads: 4, numKVHeads: 2,
                                 keys: odd, values: odd, queries: Array(odd[0..<32]))
        for type in [CaptureElementType.float16, .float32] {
            let path = folder.path("\(type).h5")
            let writer = try CaptureWriter(path: path, header: Self.header, elementType: type)
            try writer.writeSample(index: 0, promptTokens: 3, queryPositions: [3])
            try writer.writeLayer(sample: 0, layer)
            try writer.finish()
            let keys = try CaptureFile(path: path).readLayer(sample: 0, layer: 0).keys
            #expect(keys == (type == .float32 ? odd : odd.map { Float(Float16($0)) }))
        }
    }

    @Test func noTemporaryFileAfterFinishAndNoCaptureWithoutIt() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let done = folder.path("done.h5")
        try Self.writeCapture(done, .float16)
        #expect(folder.contents() == ["done.h5"])

        let abandoned = folder.path("abandoned.h5")
        do {
            let writer = try CaptureWriter(path: abandoned, header: Self.header)
            try writer.writeSample(index: 0, promptTokens: 10, queryPositions: [10, 11])
            try writer.writeLayer(sample: 0, Self.layer(0, tokens: 12, queries: 2))
            #expect(FileManager.default.fileExists(atPath: writer.temporaryPath))
            #expect(!FileManager.default.fileExists(atPath: abandoned))
        }
        #expect(folder.contents() == ["done.h5"], "a writer dropped without finish() leaves nothing behind")
    }

    /// `bench replay` writes captures/bench-16k.h5 on a fresh clone, where captures/ does not exist yet.
    @Test func writesIntoAFolderThatDoesNotExistYet() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("new/deeper/capture.h5")
        try Self.writeCapture(path, .float32)
        #expect(try CaptureFile(path: path).readLayer(sample: 0, layer: 0).keys.count > 0)
    }

    @Test func finishingReplacesAnExistingCaptureOnlyAtTheEnd() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("capture.h5")
        try Self.writeCapture(path, .float32)
        let writer = try CaptureWriter(path: path, header: Self.header)
        try writer.writeSample(index: 7, promptTokens: 1, queryPositions: [0])
        try writer.writeLayer(sample: 7, Self.layer(1, tokens: 1, queries: 1))
        #expect(try CaptureFile(path: path).samples.map(\.index) == [0, 1], "the old capture stays until finish()")
        try writer.finish()
        #expect(try CaptureFile(path: path).samples.map(\.index) == [7])
    }

    /// Regression: a child process that inherits the writer's descriptor (any fork or spawn in the
    /// process while a capture is being written; Foundation's Process can leak one opened by
    /// another thread during its spawn) must not stop the finished capture from opening. With
    /// HDF5's file lock on the temporary file, the child kept an exclusive flock on the renamed
    /// capture and CaptureFile(path:) failed with `unreadable` until the child exited.
    @Test func captureOpensWhileAChildHoldsTheWritersDescriptor() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("inherited.h5")
        let writer = try CaptureWriter(path: path, header: Self.header, elementType: .float32)
        try writer.writeSample(index: 0, promptTokens: 1, queryPositions: [0])
        try writer.writeLayer(sample: 0, Self.layer(0, tokens: 1, queries: 1))
        // posix_spawn without file actions: the child inherits every descriptor, the writer's included.
        let child = try spawnInheritingDescriptors("/bin/sleep", "30")
        defer { kill(child, SIGKILL); var status: Int32 = 0; waitpid(child, &status, 0) }
        try writer.finish()
        let keys = try CaptureFile(path: path).readLayer(sample: 0, layer: 0).keys
        #expect(keys == Self.layer(0, tokens: 1, queries: 1).keys)
    }

    @Test func rejectsInconsistentWrites() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("bad.h5")
        let writer = try CaptureWriter(path: path, header: Self.header)
        func rejected(_ body: () throws -> Void) -> Bool {
            do { try body() } catch let error as CaptureError { if case .invalidWrite = error { return true } } catch {}
            return false
        }
        #expect(rejected { try writer.writeLayer(sample: 0, Self.layer(0, tokens: 12, queries: 2)) }, "layer before sample")
        #expect(rejected { try writer.writeSample(index: 0, promptTokens: 0, queryPositions: [3]) }, "prompt_tokens 0")
        #expect(rejected { try writer.writeSample(index: 0, promptTokens: 3, queryPositions: [4, 4]) }, "not increasing")
        try writer.writeSample(index: 0, promptTokens: 10, queryPositions: [10, 11])
        #expect(rejected { try writer.writeSample(index: 0, promptTokens: 10, queryPositions: [10, 11]) }, "duplicate sample")
        #expect(rejected { try writer.writeLayer(sample: 0, Self.layer(0, tokens: 11, queries: 2)) }, "position 11 not below T")
        #expect(rejected { try writer.writeLayer(sample: 0, Self.layer(0, tokens: 12, queries: 3)) }, "3 queries for 2 positions")
        #expect(rejected { try writer.writeLayer(sample: 0, Self.layer(3, tokens: 12, queries: 2)) }, "layer 3 of 3")
        #expect(rejected { try writer.finish() }, "sample without layers")
        var nan = Self.layer(0, tokens: 12, queries: 2)
        nan.values[5] = .nan
        #expect(rejected { try writer.writeLayer(sample: 0, nan) }, "NaN")
        var huge = Self.layer(0, tokens: 12, queries: 2)
        huge.keys[0] = 1e6
        #expect(rejected { try writer.writeLayer(sample: 0, huge) }, "overflows float16")
        try writer.writeLayer(sample: 0, Self.layer(0, tokens: 12, queries: 2))
        #expect(rejected { try writer.writeLayer(sample: 0, Self.layer(0, tokens: 12, queries: 2)) }, "duplicate layer")
        #expect(rejected { try writer.writeLayer(sample: 0, Self.layer(1, tokens: 13, queries: 2)) }, "T differs across layers")
        try writer.finish()
        #expect(rejected { try writer.finish() }, "finished twice")
        #expect(try CaptureFile(path: path).samples[0].layers == [0])
    }

    /// Swift writes, h5py reads: attribute types are what h5py users expect (str, int64).
    @Test(arguments: [CaptureElementType.float16, .float32])
    func h5pyReadsWhatSwiftWrites(_ type: CaptureElementType) throws {
        guard h5pyAvailable() else { return }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("for_h5py.h5")
        try Self.writeCapture(path, type)
        let script = """
        import json, sys, h5py, numpy as np
        f = h5py.File(sys.argv[1], "r")
        out = {"attrs": {k: (v if isinstance(v, str) else int(v)) for k, v in f.attrs.items()},
               "attr_types": {k: type(v).__name__ for k, v in f.attrs.items()}, "samples": {}}
        for i, g in f["samples"].items():
            s = {"prompt_tokens": int(g.attrs["prompt_tokens"]), "positions": g["query_positions"][()].tolist(),
                 "positions_dtype": str(g["query_positions"].dtype), "layers": {}}
            for l, lg in g["layers"].items():
                s["layers"][l] = {n: {"dtype": str(lg[n].dtype), "shape": list(lg[n].shape),
                                      "sum": float(lg[n][()].astype(np.float64).sum()),
                                      "first": float(lg[n][()].ravel()[1])} for n in ("keys", "values", "queries")}
            out["samples"][i] = s
        print(json.dumps(out))
        """
        guard let result = runPython(script, [path]) else { Issue.record("python3 could not be started"); return }
        #expect(result.status == 0, "h5py failed: \(result.stderr)")
        guard result.status == 0,
              let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        else { return }
        let attrs = json["attrs"] as? [String: Any] ?? [:]
        #expect(attrs["format"] as? String == "magicpig-capture")
        #expect(attrs["model"] as? String == "writer-test")
        #expect(attrs["source"] as? String == "unit test")
        #expect(attrs["format_version"] as? Int == 1)
        #expect(attrs["num_heads"] as? Int == 4 && attrs["num_kv_heads"] as? Int == 2)
        #expect(attrs["num_layers"] as? Int == 3 && attrs["head_dim"] as? Int == 8)
        let types = json["attr_types"] as? [String: String] ?? [:]
        #expect(types["format"] == "str" && types["model"] == "str")
        #expect(types["num_heads"] == "int64" && types["format_version"] == "int64")

        let samples = json["samples"] as? [String: [String: Any]] ?? [:]
        #expect(Set(samples.keys) == ["0", "1"])
        #expect(samples["1"]?["prompt_tokens"] as? Int == 5)
        #expect(samples["1"]?["positions"] as? [Int] == [2, 6, 8])
        #expect(samples["1"]?["positions_dtype"] as? String == "int64")
        for (sample, l, t, s, salt) in [(0, 0, 12, 2, 0), (0, 2, 12, 2, 0), (1, 1, 9, 3, 3)] {
            let want = Self.layer(l, tokens: t, queries: s, salt: salt)
            let layers = samples["\(sample)"]?["layers"] as? [String: [String: [String: Any]]]
            for (name, data, shape) in [("keys", want.keys, [2, t, 8]), ("values", want.values, [2, t, 8]),
                                        ("queries", want.queries, [4, s, 8])] {
                let info = layers?["\(l)"]?[name]
                #expect(info?["dtype"] as? String == type.rawValue, "\(sample)/\(l)/\(name)")
                #expect(info?["shape"] as? [Int] == shape, "\(sample)/\(l)/\(name)")
                #expect(info?["sum"] as? Double == data.reduce(0) { $0 + Double($1) }, "\(sample)/\(l)/\(name)")
                #expect(info?["first"] as? Double == Double(data[1]), "\(sample)/\(l)/\(name)")
            }
        }
    }
}
