import Foundation
import Testing
@testable import Engine

@Suite struct ModelStoreTests {
    /// A store over an empty temporary folder.
    func emptyStore() throws -> (ModelStore, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("models-\(UInt64.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return (ModelStore(directory: folder), folder)
    }

    @Test func missingModelSaysWhichCommandFetchesIt() throws {
        let (store, folder) = try emptyStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        for model in KnownModel.all {
            do {
                _ = try store.resolve(model.name)
                Issue.record("\(model.name) resolved in an empty cache")
            } catch {
                #expect(error == .notFetched(model: model.name, expectedPath: store.path(of: model).path,
                                             fetchCommand: "scripts/fetch_models.sh \(model.name)"))
                #expect(error.description.contains("run: scripts/fetch_models.sh \(model.name)"))
            }
        }
    }

    @Test func cachedFileOfTheWrongSizeIsRejected() throws {
        let (store, folder) = try emptyStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try #require(KnownModel.named("smollm2"))
        try Data([1, 2, 3]).write(to: store.path(of: model))
        #expect(!store.isFetched(model))
        #expect(throws: ModelStoreError.wrongSize(model: "smollm2", path: store.path(of: model).path, bytes: 3,
                                                  expected: 98_362_432, fetchCommand: model.fetchCommand)) {
            try store.resolve("smollm2")
        }
    }

    @Test func pathsResolveToThemselves() throws {
        let store = ModelStore(directory: URL(fileURLWithPath: "/nonexistent"))
        let fixture = Fixture.path("quant_types.gguf")
        #expect(try store.resolve(fixture).path == fixture)
        #expect(throws: ModelStoreError.fileNotFound(path: "/no/such/model.gguf")) { try store.resolve("/no/such/model.gguf") }
        #expect(throws: ModelStoreError.unknownModel("llama-7b", known: ["smollm2", "qwen2.5-0.5b"])) {
            try store.resolve("llama-7b")
        }
    }

    @Test func cacheFolderFollowsTheFetchScript() {
        #expect(ModelStore(environment: ["MAGICPIG_MODELS_DIR": "/data/models"]).directory.path == "/data/models")
        #expect(ModelStore(environment: [:]).directory.path.hasSuffix("/.cache/models"))
    }
}
