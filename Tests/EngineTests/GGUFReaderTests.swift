import Testing
@testable import Engine

/// The reader against quant_types.gguf, written by the `gguf` package's GGUFWriter (scripts/make_gguf_fixtures.py).
@Suite struct GGUFReaderTests {
    @Test func headerAndLayout() throws {
        let file = try Fixture.open("quant_types.gguf")
        #expect(file.version == 3)
        #expect(file.alignment == 32)
        #expect(file.dataOffset % 32 == 0)
        #expect(file.tensors.count == 12)
        #expect(try file.metadata.string("general.architecture") == "fixture")
        #expect(file.metadata.keys.first == "general.architecture")
    }

    @Test func everyScalarValueType() throws {
        let m = try Fixture.open("quant_types.gguf").metadata
        #expect(m["test.u8"] == .uint8(200))
        #expect(m["test.i8"] == .int8(-100))
        #expect(m["test.u16"] == .uint16(60000))
        #expect(m["test.i16"] == .int16(-30000))
        #expect(m["test.u32"] == .uint32(4_000_000_000))
        #expect(m["test.i32"] == .int32(-2_000_000_000))
        #expect(m["test.u64"] == .uint64((1 << 63) + 5))
        #expect(m["test.i64"] == .int64(-(1 << 62)))
        #expect(m["test.f32"] == .float32(0.1))
        #expect(m["test.f64"] == .float64(1e-300))
        #expect(try m.bool("test.true") == true)
        #expect(try m.bool("test.false") == false)
        #expect(try m.string("test.string") == "héllo ▁wörld 🐷")
        #expect(try m.int("llama.block_count") == 30)
        #expect(try m.int("test.i32") == -2_000_000_000)
        #expect(try m.float("test.f32") == Double(Float(0.1)))
    }

    @Test func arrays() throws {
        let m = try Fixture.open("quant_types.gguf").metadata
        #expect(try m.strings("test.strings") == ["<|im_start|>", "Ġthe", "", "ĊĊ", "日本"])
        #expect(try m.ints("test.ints") == [1, -2, 3])
        #expect(try m.floats("test.floats") == [0.5, -1.25, 3.0])
        #expect(m["test.nested"] == .array(.array, [.array(.int32, [.int32(1), .int32(2)]), .array(.int32, [.int32(3)])]))
    }

    @Test func typedAccessorsSayWhatIsWrong() throws {
        let m = try Fixture.open("quant_types.gguf").metadata
        #expect(throws: GGUFError(file: m.file, .missingKey("llama.context_length"))) { try m.int("llama.context_length") }
        #expect(throws: GGUFError(file: m.file, .wrongValueType(key: "test.string", expected: "an integer", actual: "string"))) {
            try m.int("test.string")
        }
        #expect(throws: GGUFError(file: m.file, .wrongValueType(key: "test.u64", expected: "an integer", actual: "uint64"))) {
            try m.int("test.u64")  // 2^63 + 5 does not fit in Int
        }
        #expect(throws: GGUFError(file: m.file, .wrongValueType(key: "test.ints", expected: "array of string", actual: "array of int32"))) {
            try m.strings("test.ints")
        }
        do {
            _ = try m.int("llama.context_length")
        } catch {
            #expect(error.description.contains("quant_types.gguf"))
            #expect(error.description.contains("llama.context_length"))
        }
    }

    @Test func tensorTable() throws {
        let file = try Fixture.open("quant_types.gguf")
        let q4k = try file.info("q4_k")
        #expect(q4k.type == .q4_K)
        #expect(q4k.dimensions == [512, 2])
        #expect(q4k.rowLength == 512 && q4k.rowCount == 2)
        #expect(q4k.byteCount == 4 * 144)
        #expect(q4k.offset % file.alignment == 0)
        let cube = try file.info("q8_0_3d")
        #expect(cube.dimensions == [32, 2, 3])
        #expect(cube.rowCount == 6)
        #expect(throws: GGUFError(file: file.path, .missingTensor("output.weight"))) { try file.info("output.weight") }
        #expect(!file.contains(tensor: "output.weight"))
    }

    /// A hand-written version-2 file with a 64-byte alignment: the data section and tensor move with it.
    @Test func version2WithCustomAlignment() throws {
        let file = try Fixture.open("small_v2_align64.gguf")
        #expect(file.version == 2)
        #expect(file.alignment == 64)
        #expect(file.dataOffset == 192)  // 150 bytes of header and table, padded to 64
        #expect(try file.dequantize("weight") == (0 ..< 8).map { Float($0) * 0.5 - 1 })
    }
}
