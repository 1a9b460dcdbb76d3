import Foundation
import Testing
@testable import Engine

/// `Tokenizer(gguf:)` on small GGUF files written here: which keys it reads and the errors it gives.
@Suite struct TokenizerGGUFTests {
    enum Value {
        case string(String), strings([String]), ints([Int32]), int(UInt32), bool(Bool)
    }

    /// A GGUF v3 file with these metadata entries and no tensors.
    static func write(_ entries: [(String, Value)]) throws -> GGUFFile {
        var data = Data("GGUF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); data.append(contentsOf: s.utf8) }
        u32(3); u64(0); u64(UInt64(entries.count))
        for (key, value) in entries {
            str(key)
            switch value {
            case .string(let s): u32(8); str(s)
            case .strings(let a): u32(9); u32(8); u64(UInt64(a.count)); a.forEach(str)
            case .ints(let a): u32(9); u32(5); u64(UInt64(a.count)); a.forEach { u32(UInt32(bitPattern: $0)) }
            case .int(let v): u32(4); u32(v)
            case .bool(let b): u32(7); data.append(b ? 1 : 0)
            }
        }
        while data.count % 32 != 0 { data.append(0) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tok-\(UUID().uuidString).gguf")
        try data.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try GGUFFile(url: url)
    }

    static func entries(pre: String = "smollm", model: String = "gpt2") -> [(String, Value)] {
        let tokens = ByteLevel.scalarForByte.map { String($0) } + ["hi", "<|im_start|>", "<|im_end|>"]
        var types = [Int32](repeating: 1, count: tokens.count)
        types[types.count - 2] = 3
        types[types.count - 1] = 3
        return [
            ("tokenizer.ggml.model", .string(model)),
            ("tokenizer.ggml.pre", .string(pre)),
            ("tokenizer.ggml.tokens", .strings(tokens)),
            ("tokenizer.ggml.merges", .strings(["h i"])),
            ("tokenizer.ggml.token_type", .ints(types)),
            ("tokenizer.ggml.bos_token_id", .int(UInt32(tokens.count - 2))),
            ("tokenizer.ggml.eos_token_id", .int(UInt32(tokens.count - 1))),
            ("tokenizer.ggml.add_bos_token", .bool(false)),
            ("tokenizer.chat_template", .string("{{'<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n'}}")),
        ]
    }

    @Test func readsTheTokenizerKeys() throws {
        let t = try Tokenizer(gguf: Self.write(Self.entries()))
        #expect(t.vocabularySize == 259 && t.preTokenizer == .smollm)
        #expect(t.bos == 257 && t.eos == 258 && t.eot == nil && !t.addBOS)
        // Token ids 0…255 are the bytes; smollm cuts "hi 1" into "hi", " ", "1".
        #expect(t.encode("<|im_start|>hi 1<|im_end|>") == [257, 256, 0x20, 0x31, 258])
        #expect(t.endOfGeneration == [258])
        #expect(try t.chatTemplate().defaultSystemPrompt == nil)
    }

    @Test func unknownPreTokenizerIsATypedErrorNamingIt() throws {
        let file = try Self.write(Self.entries(pre: "llama-bpe"))
        #expect(throws: TokenizerError.unknownPreTokenizer("llama-bpe")) { try Tokenizer(gguf: file) }
        #expect(TokenizerError.unknownPreTokenizer("llama-bpe").description.contains("\"llama-bpe\""))
        let spm = try Self.write(Self.entries(model: "llama"))
        #expect(throws: TokenizerError.unsupportedModel("llama")) { try Tokenizer(gguf: spm) }
    }

    @Test func missingKeysAreMetadataErrors() throws {
        let file = try Self.write(Self.entries().filter { $0.0 != "tokenizer.ggml.merges" })
        do {
            _ = try Tokenizer(gguf: file)
            Issue.record("a tokenizer without merges loaded")
        } catch {
            guard case .metadata(let inner) = error, case .missingKey("tokenizer.ggml.merges") = inner.problem else {
                Issue.record("unexpected error \(error)"); return
            }
        }
    }
}
