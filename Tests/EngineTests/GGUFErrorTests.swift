import Foundation
import Testing
@testable import Engine

/// Each corrupt fixture (scripts/make_gguf_fixtures.py, BAD) gives its own typed error naming the file.
@Suite struct GGUFErrorTests {
    @Test func emptyFile() {
        #expect(Fixture.problem(opening: "bad_empty.gguf") == .truncated(what: "magic", offset: 0, needed: 4, fileSize: 0))
    }

    @Test func badMagic() {
        #expect(Fixture.problem(opening: "bad_magic.gguf") == .badMagic(0x4C4D_4747))
    }

    @Test func unsupportedVersions() {
        #expect(Fixture.problem(opening: "bad_version1.gguf") == .unsupportedVersion(1))
        #expect(Fixture.problem(opening: "bad_version4.gguf") == .unsupportedVersion(4))
    }

    @Test func truncatedMetadata() {
        #expect(Fixture.problem(opening: "bad_truncated_metadata.gguf")
                == .truncated(what: "value of \"fixture.answer\"", offset: 97, needed: 4, fileSize: 99))
    }

    @Test func truncatedTensorTable() {
        guard case .truncated(let what, _, _, _)? = Fixture.problem(opening: "bad_truncated_tensor_table.gguf") else {
            Issue.record("expected .truncated"); return
        }
        #expect(what.contains("tensor \"weight\""))
    }

    @Test func tensorDataPastEnd() {
        #expect(Fixture.problem(opening: "bad_tensor_past_eof.gguf")
                == .tensorDataPastEnd(tensor: "weight", start: 160, end: 192, fileSize: 184))
    }

    @Test func absurdStringLength() {
        guard case .stringTooLong(let what, let length, _)? = Fixture.problem(opening: "bad_string_length.gguf") else {
            Issue.record("expected .stringTooLong"); return
        }
        #expect(what == "metadata key 0")
        #expect(length == 1 << 60)
    }

    @Test func unknownTypes() {
        #expect(Fixture.problem(opening: "bad_value_type.gguf") == .unknownValueType(key: "general.architecture", type: 99))
        #expect(Fixture.problem(opening: "bad_tensor_type.gguf") == .unknownTensorType(tensor: "weight", type: 99))
    }

    @Test func absurdTensorCount() {
        guard case .countTooLarge(let what, let count, _)? = Fixture.problem(opening: "bad_tensor_count.gguf") else {
            Issue.record("expected .countTooLarge"); return
        }
        #expect(what == "tensor")
        #expect(count == 1 << 40)
    }

    @Test func misalignedTensorAndBadAlignment() {
        #expect(Fixture.problem(opening: "bad_misaligned_tensor.gguf") == .misalignedTensor(tensor: "weight", offset: 4, alignment: 32))
        #expect(Fixture.problem(opening: "bad_alignment.gguf") == .badAlignment(48))
    }

    @Test func missingFileAndDirectory() {
        guard case .cannotOpen? = Fixture.problem(opening: "no_such_file.gguf") else { Issue.record("expected .cannotOpen"); return }
        do {
            _ = try GGUFFile(path: Fixture.folder.path)
            Issue.record("a directory opened")
        } catch {
            #expect(error.problem == .cannotOpen(reason: "not a regular file"))
        }
    }

    /// Every prefix of a valid file is truncated somewhere: each must fail cleanly, none may crash.
    @Test func everyPrefixOfAValidFileFailsCleanly() throws {
        let bytes = try [UInt8](Data(contentsOf: Fixture.folder.appendingPathComponent("small_v2_align64.gguf")))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-prefixes-\(UInt64.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for length in 0 ..< bytes.count {
            let url = folder.appendingPathComponent("prefix.gguf")
            try Data(bytes[0 ..< length]).write(to: url)
            do {
                _ = try GGUFFile(path: url.path)
                Issue.record("a \(length)-byte prefix opened")
            } catch {
                switch error.problem {
                // A cut inside a string or array cannot be told from an absurd length: either error is right.
                case .truncated, .tensorDataPastEnd, .stringTooLong, .countTooLarge: break
                default: Issue.record("prefix \(length): unexpected \(error)")
                }
            }
        }
    }
}
