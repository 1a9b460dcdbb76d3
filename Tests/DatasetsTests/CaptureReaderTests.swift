import Foundation
import Testing
@testable import Datasets

/// h5py writes (scripts/make_capture_fixtures.py), Swift reads.
@Suite struct CaptureReaderTests {
    struct Expected: Decodable {
        struct Header: Decodable {
            var model: String
            var num_layers: Int, num_heads: Int, num_kv_heads: Int, head_dim: Int
            var extra: [String: String]
        }
        struct Layer: Decodable { var keys: [Double], values: [Double], queries: [Double] }
        struct Sample: Decodable {
            var index: Int, prompt_tokens: Int, query_positions: [Int], tokens: Int
            var layers: [String: Layer]
        }
        var header: Header
        var samples: [Sample]
    }

    @Test func readsTheH5pyFixture() throws {
        let path = Fixtures.path("h5py_capture.h5")
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("h5py_capture.json")))
        let expected = try JSONDecoder().decode(Expected.self, from: data)
        let capture = try CaptureFile(path: path)
        let h = expected.header
        #expect(capture.header == CaptureHeader(
            model: h.model, numLayers: h.num_layers, numHeads: h.num_heads, numKVHeads: h.num_kv_heads,
            headDim: h.head_dim, extra: h.extra))
        #expect(capture.header.groupSize == 2)
        #expect(capture.samples.count == expected.samples.count)
        for (info, sample) in zip(capture.samples, expected.samples) {
            #expect(info == CaptureSampleInfo(
                index: sample.index, promptTokens: sample.prompt_tokens, queryPositions: sample.query_positions,
                tokenCount: sample.tokens, layers: sample.layers.keys.compactMap(Int.init).sorted()))
            for (name, want) in sample.layers {
                let layer = try capture.readLayer(sample: sample.index, layer: Int(name)!)
                #expect(layer.layer == Int(name)!)
                #expect(layer.tokenCount == sample.tokens && layer.queryCount == sample.query_positions.count)
                #expect(layer.keys == want.keys.map { Float($0) }, "keys of sample \(sample.index) layer \(name)")
                #expect(layer.values == want.values.map { Float($0) }, "values of sample \(sample.index) layer \(name)")
                #expect(layer.queries == want.queries.map { Float($0) }, "queries of sample \(sample.index) layer \(name)")
                // Accessors slice the flattened layouts [kv, T, d] and [heads, S, d].
                let d = layer.headDim, t = layer.tokenCount, s = layer.queryCount
                #expect(layer.keys(kvHead: 1) == Array(layer.keys[(t * d)..<(2 * t * d)]))
                #expect(layer.values(kvHead: 1) == Array(layer.values[(t * d)..<(2 * t * d)]))
                #expect(layer.query(head: 3, step: s - 1) == Array(layer.queries[((3 * s + s - 1) * d)..<((3 * s + s) * d)]))
                #expect(layer.kvHead(forHead: 3) == 1)
            }
        }
    }

    @Test func acceptsFixedLengthStringsAndNarrowIntegers() throws {
        let capture = try CaptureFile(path: Fixtures.path("tiny_fixed_strings.h5"))
        #expect(capture.header.model == "fixed")
        #expect(capture.header.numHeads == 2)
        let layer = try capture.readLayer(sample: 0, layer: 1)
        #expect(layer.keys.count == 1 * 6 * 4)
    }

    @Test func unknownSampleOrLayerIsATypedError() throws {
        let path = Fixtures.path("tiny_valid.h5")
        let capture = try CaptureFile(path: path)
        #expect(throws: CaptureError.noSuchSample(file: path, sample: 3)) { try capture.readLayer(sample: 3, layer: 0) }
        #expect(throws: CaptureError.noSuchLayer(file: path, sample: 0, layer: 2)) { try capture.readLayer(sample: 0, layer: 2) }
    }

    @Test func concurrentReadsOfOneFileAgree() async throws {
        let capture = try CaptureFile(path: Fixtures.path("h5py_capture.h5"))
        let reference = try capture.readLayer(sample: 1, layer: 2).keys
        let results = try await withThrowingTaskGroup(of: [Float].self) { group in
            for _ in 0..<8 { group.addTask { try capture.readLayer(sample: 1, layer: 2).keys } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 8 && results.allSatisfy { $0 == reference })
    }

    @Test func missingFile() {
        let path = Fixtures.path("does_not_exist.h5")
        #expect(throws: CaptureError.fileNotFound(file: path)) { try CaptureFile(path: path) }
    }

    @Test func errorMessageNamesFileDatasetAndFix() throws {
        let path = Fixtures.path("bad/kv_heads_mismatch.h5")
        let error = #expect(throws: CaptureError.self) { try CaptureFile(path: path) }
        #expect(error == .shapeMismatch(
            file: path, path: "/samples/0/layers/1/keys", what: "KV heads", found: 2, expected: 1,
            reference: "the file header (num_kv_heads)"))
        #expect(error?.description == "\(path): /samples/0/layers/1/keys has 2 KV heads but the file header (num_kv_heads) says 1")
    }

    /// A real capture beside the repository, when present (never required).
    @Test func readsTheSharedRealCaptureWhenPresent() throws {
        let path = FileManager.default.currentDirectoryPath + "/../shared/data/smollm2-gpl3-3k.h5"
        guard FileManager.default.fileExists(atPath: path) else { return }
        let capture = try CaptureFile(path: path)
        #expect(capture.header.numHeads == 9 && capture.header.numKVHeads == 3 && capture.header.headDim == 64)
        #expect(capture.header.extra["source"] != nil)
        let info = capture.samples[0]
        #expect(info.tokenCount == 3211 && info.promptTokens == 3195 && info.queryPositions.count == 16)
        let layer = try capture.readLayer(sample: 0, layer: info.layers.last!)
        #expect(layer.keys.count == 3 * 3211 * 64)
    }
}
