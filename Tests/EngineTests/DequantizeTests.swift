import Foundation
import Testing
@testable import Engine

/// Every dequantiser against `gguf.quants.dequantize` on random valid blocks (scripts/make_gguf_fixtures.py).
@Suite struct DequantizeTests {
    struct Entry: Decodable {
        let name: String, type: String, dims: [Int], offset: Int, count: Int
    }

    static let entries: [Entry] = {
        struct Index: Decodable { let tensors: [Entry] }
        let data = try! Data(contentsOf: Fixture.folder.appendingPathComponent("quant_types.json"))
        return try! JSONDecoder().decode(Index.self, from: data).tensors
    }()

    static let expected: [Float] = {
        let data = try! Data(contentsOf: Fixture.folder.appendingPathComponent("quant_types.f32"))
        return data.withUnsafeBytes { raw in
            (0 ..< data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }()

    @Test func fixtureCoversEveryDequantisableType() {
        let types = Set(Self.entries.map(\.type))
        #expect(types == Set(GGMLType.dequantisable.map(\.description)))
    }

    @Test(arguments: entries.map(\.name))
    func wholeTensorMatchesReference(name: String) throws {
        let file = try Fixture.open("quant_types.gguf")
        let entry = try #require(Self.entries.first { $0.name == name })
        let info = try file.info(name)
        #expect(info.type.description == entry.type)
        #expect(info.dimensions == entry.dims)
        let got = try file.dequantize(info)
        let want = Array(Self.expected[entry.offset ..< entry.offset + entry.count])
        #expect(got.count == want.count)
        var worst: UInt32 = 0, mismatches = 0
        for (g, w) in zip(got, want) {
            let d = ulpDistance(g, w)
            worst = max(worst, d)
            if d > 1 { mismatches += 1 }  // bit-identical here; 1 ulp allows a compiler that fuses d·q + m
        }
        #expect(mismatches == 0, "\(name): \(mismatches) values more than 1 ulp from gguf (worst \(worst) ulp)")
    }

    /// Rows dequantised alone equal the same rows of the whole tensor, for every type.
    @Test(arguments: entries.map(\.name))
    func rowRangesMatchWholeTensor(name: String) throws {
        let file = try Fixture.open("quant_types.gguf")
        let info = try file.info(name)
        let whole = try file.dequantize(info)
        for rows in [0 ..< 1, info.rowCount - 1 ..< info.rowCount, 1 ..< info.rowCount, 1 ..< 1] {
            let part = try file.dequantize(info, rows: rows)
            #expect(part == Array(whole[rows.lowerBound * info.rowLength ..< rows.upperBound * info.rowLength]))
        }
    }

    @Test func intoABufferLeavesTheRestAlone() throws {
        let file = try Fixture.open("quant_types.gguf")
        let info = try file.info("q4_1")
        var buffer = [Float](repeating: .nan, count: info.rowLength + 3)
        try buffer.withUnsafeMutableBufferPointer { try file.dequantize(info, rows: 2 ..< 3, into: $0) }
        #expect(Array(buffer[..<info.rowLength]) == (try file.dequantize(info, rows: 2 ..< 3)))
        #expect(buffer[info.rowLength...].allSatisfy { $0.isNaN })
    }

    @Test func badRequestsAreTypedErrors() throws {
        let file = try Fixture.open("quant_types.gguf")
        let info = try file.info("q8_0")
        #expect(throws: GGUFError(file: file.path, .rowsOutOfRange(tensor: "q8_0", rows: 2 ..< 4, rowCount: 3))) {
            try file.dequantize(info, rows: 2 ..< 4)
        }
        var small = [Float](repeating: 0, count: 10)
        #expect(throws: GGUFError(file: file.path, .destinationTooSmall(tensor: "q8_0", needed: 64, available: 10))) {
            try small.withUnsafeMutableBufferPointer { try file.dequantize(info, rows: 0 ..< 1, into: $0) }
        }
        let q2k = GGUFTensorInfo(name: "x", dimensions: [256], type: .q2_K, offset: 0, byteCount: 84)
        #expect(throws: GGUFError(file: file.path, .unsupportedTensorType(tensor: "x", type: .q2_K))) {
            try file.dequantize(q2k)
        }
    }

    @Test func blockGeometryMatchesGGML() {
        // ggml's (block size, type size) for the types the models use (gguf.GGML_QUANT_SIZES).
        let sizes: [GGMLType: (Int, Int)] = [.f32: (1, 4), .f16: (1, 2), .bf16: (1, 2), .q4_0: (32, 18), .q4_1: (32, 20),
                                             .q5_0: (32, 22), .q5_1: (32, 24), .q8_0: (32, 34), .q4_K: (256, 144),
                                             .q5_K: (256, 176), .q6_K: (256, 210)]
        for (type, (block, bytes)) in sizes {
            #expect(type.blockSize == block && type.blockBytes == bytes, "\(type)")
        }
    }
}
