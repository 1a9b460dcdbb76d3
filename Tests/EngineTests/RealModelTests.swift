import Foundation
import Testing
@testable import Engine

/// The reader and dequantisers on the real model files, compared with the `gguf` Python package.
///
/// Needs the fetched models (scripts/fetch_models.sh) and python3 with gguf; each test is skipped, with the
/// reason printed, when its model is absent, so CI never needs them.
@Suite struct RealModelTests {
    /// Run from the repository root, as `swift test` is.
    static let store = ModelStore()

    static func file(_ name: String) throws -> GGUFFile {
        try GGUFFile(url: store.resolve(name))
    }

    static var smolLM2Present: Bool { store.isFetched(KnownModel.named("smollm2")!) }
    static var qwenPresent: Bool { store.isFetched(KnownModel.named("qwen2.5-0.5b")!) }

    @Test(.enabled(if: smolLM2Present, "SmolLM2 is not in .cache/models (scripts/fetch_models.sh smollm2)"))
    func smolLM2Metadata() throws {
        let file = try Self.file("smollm2")
        let m = file.metadata
        #expect(try m.string("general.architecture") == "llama")
        #expect(try m.int("llama.block_count") == 30)
        #expect(try m.int("llama.embedding_length") == 576)
        #expect(try m.int("llama.feed_forward_length") == 1536)
        #expect(try m.int("llama.attention.head_count") == 9)
        #expect(try m.int("llama.attention.head_count_kv") == 3)
        #expect(try m.int("llama.context_length") == 8192)
        #expect(try m.float("llama.rope.freq_base") == 100_000)
        #expect(try Float(m.float("llama.attention.layer_norm_rms_epsilon")) == 1e-5)
        #expect(try m.string("tokenizer.ggml.model") == "gpt2")
        #expect(try m.string("tokenizer.ggml.pre") == "smollm")
        #expect(try m.bool("tokenizer.ggml.add_bos_token") == false)
        let tokens = try m.strings("tokenizer.ggml.tokens")
        #expect(tokens.count == 49152)
        #expect(tokens[1] == "<|im_start|>" && tokens[2] == "<|im_end|>")
        #expect(try m.ints("tokenizer.ggml.token_type").count == 49152)
        #expect(try m.strings("tokenizer.ggml.merges").count == 48900)
        #expect(file.tensors.count == 272)
        #expect(!file.contains(tensor: "output.weight"))  // tied output head
        let embedding = try file.info("token_embd.weight")
        #expect(embedding.type == .q8_0 && embedding.dimensions == [576, 49152])
        #expect(try file.info("blk.0.attn_k.weight").dimensions == [576, 192])  // 3 KV heads × 64
    }

    @Test(.enabled(if: qwenPresent, "Qwen2.5-0.5B is not in .cache/models (scripts/fetch_models.sh qwen2.5-0.5b)"))
    func qwenMetadata() throws {
        let file = try Self.file("qwen2.5-0.5b")
        let m = file.metadata
        #expect(try m.string("general.architecture") == "qwen2")
        #expect(try m.int("qwen2.block_count") == 24)
        #expect(try m.int("qwen2.embedding_length") == 896)
        #expect(try m.int("qwen2.feed_forward_length") == 4864)
        #expect(try m.int("qwen2.attention.head_count") == 14)
        #expect(try m.int("qwen2.attention.head_count_kv") == 2)
        #expect(try m.int("qwen2.context_length") == 32768)
        #expect(try m.float("qwen2.rope.freq_base") == 1_000_000)
        #expect(file.contains(tensor: "blk.0.attn_q.bias"))
        #expect(Set(file.tensors.map(\.type)) == [.q5_0, .q8_0, .q4_K, .q6_K, .f32])
    }

    /// For each tensor type in the file: the first tensor of that type, first two and last rows, against gguf.
    @Test(arguments: ["smollm2", "qwen2.5-0.5b"])
    func rowsMatchGGUFPackage(model: String) throws {
        guard Self.store.isFetched(KnownModel.named(model)!) else {
            print("RealModelTests: \(model) is not in .cache/models (scripts/fetch_models.sh \(model)); skipped")
            return
        }
        guard Python.hasGGUF else {
            print("RealModelTests: python3 with the gguf package is not available; skipped")
            return
        }
        let file = try Self.file(model)
        var seen = Set<GGMLType>()
        var picks = file.tensors.filter { seen.insert($0.type).inserted }
        if model == "smollm2" { picks.append(try file.info("blk.29.ffn_down.weight")) }
        let requests = picks.flatMap { info in
            [0 ..< min(2, info.rowCount), info.rowCount - 1 ..< info.rowCount].map { (info.name, $0) }
        }
        // One subprocess for all requests: GGUFReader takes seconds to parse a 49K-token vocabulary.
        var want = try Python.dequantize(path: file.path, requests: requests)[...]
        for (name, rows) in requests {
            let info = try file.info(name)
            let got = try file.dequantize(info, rows: rows)
            let expected = want.prefix(got.count)
            want = want.dropFirst(got.count)
            #expect(expected.count == got.count, "\(name)")
            let far = zip(got, expected).filter { ulpDistance($0, $1) > 1 }.count
            #expect(far == 0, "\(model) \(name) (\(info.type)) rows \(rows): \(far) values differ by more than 1 ulp")
        }
        #expect(want.isEmpty)
    }
}

/// The `gguf` package, run as a subprocess.
enum Python {
    static let hasGGUF: Bool = (try? run(["-c", "import gguf"])) != nil

    /// The floats of each (tensor, rows) request, concatenated, computed by gguf.quants.dequantize.
    static func dequantize(path: String, requests: [(String, Range<Int>)]) throws -> [Float] {
        let script = """
            import sys, numpy as np, gguf
            r = gguf.GGUFReader(sys.argv[1])
            tensors = {t.name: t for t in r.tensors}
            for request in sys.argv[2:]:
                name, start, end = request.rsplit(":", 2)
                t = tensors[name]
                data = np.asarray(t.data)
                data = data.reshape(-1, data.shape[-1]) if data.ndim > 1 else data.reshape(1, -1)
                floats = gguf.quants.dequantize(data[int(start):int(end)], t.tensor_type)
                sys.stdout.buffer.write(np.ascontiguousarray(floats, dtype='<f4').tobytes())
            """
        let data = try run(["-c", script, path] + requests.map { "\($0.0):\($0.1.lowerBound):\($0.1.upperBound)" })
        return data.withUnsafeBytes { raw in
            (0 ..< data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    struct Failure: Error { let status: Int32 }

    static func run(_ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure(status: process.terminationStatus) }
        return data
    }
}
