import Foundation
import Testing
@testable import Datasets

/// One bad fixture per validation rule (scripts/make_capture_fixtures.py, bad/): the reader
/// throws the specific `CaptureError` naming the broken object, and never crashes.
@Suite struct CaptureValidationTests {
    struct BadCase: Sendable, CustomTestStringConvertible {
        var file: String
        var error: String
        var path: String?
        /// Whether the error is found only when the layer's tensors are read.
        var onRead: Bool = false
        var testDescription: String { file }
    }

    static let layer1 = "/samples/0/layers/1"

    static let cases: [BadCase] = [
        BadCase(file: "not_hdf5", error: "notHDF5"),
        BadCase(file: "truncated", error: "unreadable"),
        BadCase(file: "wrong_format", error: "wrongFormat"),
        BadCase(file: "unsupported_version", error: "unsupportedVersion"),
        BadCase(file: "missing_num_kv_heads", error: "missingAttribute", path: "/"),
        BadCase(file: "string_num_heads", error: "wrongAttributeType", path: "/"),
        BadCase(file: "heads_not_divisible", error: "invalidHeader"),
        BadCase(file: "missing_samples", error: "missingObject", path: "/samples"),
        BadCase(file: "bad_sample_name", error: "invalidName", path: "/samples/first"),
        BadCase(file: "missing_prompt_tokens", error: "missingAttribute", path: "/samples/0"),
        BadCase(file: "missing_values", error: "missingObject", path: layer1 + "/values"),
        BadCase(file: "missing_query_positions", error: "missingObject", path: "/samples/0/query_positions"),
        BadCase(file: "kv_heads_mismatch", error: "shapeMismatch", path: layer1 + "/keys"),
        BadCase(file: "head_dim_mismatch", error: "shapeMismatch", path: layer1 + "/queries"),
        BadCase(file: "keys_values_mismatch", error: "shapeMismatch", path: layer1 + "/values"),
        BadCase(file: "tokens_differ_across_layers", error: "shapeMismatch", path: layer1 + "/keys"),
        BadCase(file: "queries_positions_mismatch", error: "shapeMismatch", path: layer1 + "/queries"),
        BadCase(file: "keys_rank_2", error: "wrongRank", path: layer1 + "/keys"),
        BadCase(file: "positions_not_below_T", error: "invalidPositions", path: "/samples/0/query_positions"),
        BadCase(file: "positions_negative", error: "invalidPositions", path: "/samples/0/query_positions"),
        BadCase(file: "positions_not_increasing", error: "invalidPositions", path: "/samples/0/query_positions"),
        BadCase(file: "positions_float", error: "wrongElementType", path: "/samples/0/query_positions"),
        BadCase(file: "prompt_tokens_zero", error: "promptTokensOutOfRange", path: "/samples/0"),
        BadCase(file: "prompt_tokens_above_T", error: "promptTokensOutOfRange", path: "/samples/0"),
        BadCase(file: "int_keys", error: "wrongElementType", path: layer1 + "/keys"),
        BadCase(file: "layer_out_of_range", error: "layerOutOfRange", path: "/samples/0/layers/5"),
        BadCase(file: "nan_in_keys", error: "nonFinite", path: layer1 + "/keys", onRead: true),
        BadCase(file: "inf_in_queries", error: "nonFinite", path: layer1 + "/queries", onRead: true),
    ]

    @Test(arguments: cases)
    func rejects(_ bad: BadCase) throws {
        let path = Fixtures.path("bad/\(bad.file).h5")
        #expect(FileManager.default.fileExists(atPath: path), "fixture \(path) is missing; run scripts/make_capture_fixtures.py")
        let error: CaptureError?
        if bad.onRead {
            let capture = try CaptureFile(path: path)
            error = #expect(throws: CaptureError.self) { try capture.readLayer(sample: 0, layer: 1) }
        } else {
            error = #expect(throws: CaptureError.self) { try CaptureFile(path: path) }
        }
        guard let error else { return }
        #expect(error.caseName == bad.error, "\(error)")
        #expect(error.objectPath == bad.path, "\(error)")
        #expect(error.description.hasPrefix(path + ": "), "the message names the file: \(error)")
    }

    @Test func nonFiniteNamesTheFirstBadIndex() throws {
        let path = Fixtures.path("bad/nan_in_keys.h5")
        let capture = try CaptureFile(path: path)
        #expect(throws: CaptureError.nonFinite(file: path, path: Self.layer1 + "/keys", index: [0, 3, 2], value: "nan")) {
            try capture.readLayer(sample: 0, layer: 1)
        }
        // The other layer of the same file is fine: only the layer read is checked.
        #expect(try capture.readLayer(sample: 0, layer: 0).keys.count == 24)
    }

    @Test func headerErrorsCarryTheValues() {
        let wrong = Fixtures.path("bad/wrong_format.h5")
        #expect(throws: CaptureError.wrongFormat(file: wrong, found: "something-else")) { try CaptureFile(path: wrong) }
        let version = Fixtures.path("bad/unsupported_version.h5")
        #expect(throws: CaptureError.unsupportedVersion(file: version, found: 2)) { try CaptureFile(path: version) }
        let missing = Fixtures.path("bad/missing_num_kv_heads.h5")
        #expect(throws: CaptureError.missingAttribute(file: missing, path: "/", name: "num_kv_heads")) {
            try CaptureFile(path: missing)
        }
        let prompt = Fixtures.path("bad/prompt_tokens_above_T.h5")
        #expect(throws: CaptureError.promptTokensOutOfRange(file: prompt, path: "/samples/0", promptTokens: 7, tokenCount: 6)) {
            try CaptureFile(path: prompt)
        }
    }
}
