/// One entry of the GGUF tensor table, validated against the file when it was read.
///
/// `dimensions` are in ggml order: `dimensions[0]` (ne0) is the contiguous row length, so a PyTorch weight of
/// shape [out, in] is stored as dimensions [in, out]: `rowCount` rows of `rowLength` elements.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    public let dimensions: [Int]
    public let type: GGMLType
    /// Byte offset from the start of the data section (a multiple of the file's alignment).
    public let offset: Int
    /// Bytes the tensor occupies.
    public let byteCount: Int

    public var elementCount: Int { dimensions.reduce(1, *) }
    public var rowLength: Int { dimensions.first ?? 1 }
    public var rowCount: Int { dimensions.dropFirst().reduce(1, *) }
    public var rowBytes: Int { rowLength / type.blockSize * type.blockBytes }
}

extension GGUFTensorInfo {
    /// ggml's GGML_MAX_DIMS.
    static let maximumDimensions = 4

    /// Reads one table entry and checks its shape against its type; offsets are checked by `GGUFFile`.
    static func read(from reader: inout ByteReader, index: Int) throws(GGUFError) -> GGUFTensorInfo {
        let name = try reader.readString("name of tensor \(index)")
        let dimensionCount = try reader.read(UInt32.self, "dimension count of tensor \"\(name)\"")
        guard dimensionCount >= 1, dimensionCount <= UInt32(maximumDimensions) else {
            throw reader.error(.badShape(tensor: name, dims: [], reason: "\(dimensionCount) dimensions (1 to 4 allowed)"))
        }
        var raw: [UInt64] = []
        for axis in 0 ..< Int(dimensionCount) {
            raw.append(try reader.read(UInt64.self, "dimension \(axis) of tensor \"\(name)\""))
        }
        let typeCode = try reader.read(UInt32.self, "type of tensor \"\(name)\"")
        let offset = try reader.read(UInt64.self, "data offset of tensor \"\(name)\"")
        guard let type = GGMLType(rawValue: typeCode) else {
            throw reader.error(.unknownTensorType(tensor: name, type: typeCode))
        }

        // Element and byte counts must not overflow: no real tensor comes near 2^62 bytes.
        let limit = UInt64(1) << 62
        var elements: UInt64 = 1
        for d in raw {
            guard d >= 1, d < limit else { throw reader.error(.badShape(tensor: name, dims: raw, reason: "a dimension is 0 or absurd")) }
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow, product < limit else {
                throw reader.error(.badShape(tensor: name, dims: raw, reason: "element count overflows"))
            }
            elements = product
        }
        guard raw[0] % UInt64(type.blockSize) == 0 else {
            throw reader.error(.badShape(tensor: name, dims: raw,
                                         reason: "row length is not a multiple of the \(type) block size \(type.blockSize)"))
        }
        let (bytes, overflow) = (elements / UInt64(type.blockSize)).multipliedReportingOverflow(by: UInt64(type.blockBytes))
        guard !overflow, bytes < limit, offset < limit else {
            throw reader.error(.badShape(tensor: name, dims: raw, reason: "byte count or offset overflows"))
        }
        return GGUFTensorInfo(name: name, dimensions: raw.map { Int($0) }, type: type,
                              offset: Int(offset), byteCount: Int(bytes))
    }
}
