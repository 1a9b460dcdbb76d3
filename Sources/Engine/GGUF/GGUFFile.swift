import Foundation

/// A GGUF model file (versions 2 and 3, little-endian), memory-mapped and validated when opened.
///
/// Layout (GGUF specification, ggml/docs/gguf.md): magic "GGUF", u32 version, u64 tensor count, u64 metadata
/// count; the metadata key/value pairs; the tensor table (name, dimensions, type, offset); padding to
/// `general.alignment` (default 32); the data section, in which each tensor's offset is relative.
///
/// Opening reads the header, metadata and tensor table and checks that every tensor lies inside the file, so
/// later accesses (`bytes(of:)`, `Dequantize`) need no further checks and cannot read past the mapping.
public final class GGUFFile: Sendable {
    public let path: String
    public let version: Int
    public let metadata: GGUFMetadata
    /// Tensors in table order.
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    /// Byte offset of the data section in the file.
    public let dataOffset: Int
    public var fileSize: Int { mapping.bytes.count }

    private let mapping: MappedFile
    private let index: [String: Int]

    public static let defaultAlignment = 32
    /// Arrays of arrays are legal GGUF but unused by models; a bound stops a crafted file recursing deeply.
    static let maximumArrayNesting = 8

    public init(path: String) throws(GGUFError) {
        let mapping = try MappedFile(path: path)
        self.path = path
        self.mapping = mapping
        var reader = ByteReader(bytes: mapping.bytes, file: path)

        let magic = try reader.read(UInt32.self, "magic")
        guard magic == 0x4655_4747 else { throw reader.error(.badMagic(magic)) }  // "GGUF" read little-endian
        let version = try reader.read(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw reader.error(.unsupportedVersion(version)) }
        self.version = Int(version)
        // A tensor-table entry is at least 8 (name length) + 4 + 8 + 4 + 8 bytes; a metadata entry at least
        // 8 (key length) + 4 + 1.
        let tensorCount = try reader.readCount("tensor", minimumBytes: 32)
        let metadataCount = try reader.readCount("metadata", minimumBytes: 13)

        var keys: [String] = []
        var values: [String: GGUFValue] = [:]
        keys.reserveCapacity(metadataCount)
        for entry in 0 ..< metadataCount {
            let key = try reader.readString("metadata key \(entry)")
            let typeCode = try reader.read(UInt32.self, "value type of \"\(key)\"")
            guard let type = GGUFValueType(rawValue: typeCode) else {
                throw reader.error(.unknownValueType(key: key, type: typeCode))
            }
            let value = try Self.readValue(type, key: key, depth: 0, from: &reader)
            guard values.updateValue(value, forKey: key) == nil else { throw reader.error(.duplicateKey(key)) }
            keys.append(key)
        }
        let metadata = GGUFMetadata(file: path, keys: keys, values: values)
        self.metadata = metadata

        var alignment = Self.defaultAlignment
        if let value = metadata["general.alignment"] {
            guard let a = value.integer, a > 0, a & (a - 1) == 0, a <= 1 << 30 else {
                throw reader.error(.badAlignment(UInt64(truncatingIfNeeded: value.integer ?? 0)))
            }
            alignment = a
        }
        self.alignment = alignment

        var tensors: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        tensors.reserveCapacity(tensorCount)
        for entry in 0 ..< tensorCount {
            let info = try GGUFTensorInfo.read(from: &reader, index: entry)
            guard index.updateValue(entry, forKey: info.name) == nil else { throw reader.error(.duplicateTensor(info.name)) }
            tensors.append(info)
        }

        // The data section starts at the next multiple of the alignment. A file with no tensors may end here.
        let dataOffset = (reader.offset + alignment - 1) / alignment * alignment
        if tensorCount > 0 { try reader.skip(to: dataOffset, "padding before the tensor data") }
        self.dataOffset = dataOffset
        for info in tensors {
            guard info.offset % alignment == 0 else {
                throw reader.error(.misalignedTensor(tensor: info.name, offset: UInt64(info.offset), alignment: alignment))
            }
            let start = dataOffset + info.offset
            let end = start + info.byteCount
            guard end <= mapping.bytes.count else {
                throw reader.error(.tensorDataPastEnd(tensor: info.name, start: UInt64(start), end: UInt64(end),
                                                      fileSize: mapping.bytes.count))
            }
        }
        self.tensors = tensors
        self.index = index
    }

    public convenience init(url: URL) throws(GGUFError) { try self.init(path: url.path) }

    public func info(_ name: String) throws(GGUFError) -> GGUFTensorInfo {
        guard let position = index[name] else { throw GGUFError(file: path, .missingTensor(name)) }
        return tensors[position]
    }

    public func contains(tensor name: String) -> Bool { index[name] != nil }

    /// The tensor's bytes in the mapping, valid while this file is alive.
    public func bytes(of info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        let start = dataOffset + info.offset
        return UnsafeRawBufferPointer(rebasing: mapping.bytes[start ..< start + info.byteCount])
    }

    private static func readValue(_ type: GGUFValueType, key: String, depth: Int,
                                  from reader: inout ByteReader) throws(GGUFError) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try reader.read(UInt8.self, "value of \"\(key)\""))
        case .int8: return .int8(try reader.read(Int8.self, "value of \"\(key)\""))
        case .uint16: return .uint16(try reader.read(UInt16.self, "value of \"\(key)\""))
        case .int16: return .int16(try reader.read(Int16.self, "value of \"\(key)\""))
        case .uint32: return .uint32(try reader.read(UInt32.self, "value of \"\(key)\""))
        case .int32: return .int32(try reader.read(Int32.self, "value of \"\(key)\""))
        case .uint64: return .uint64(try reader.read(UInt64.self, "value of \"\(key)\""))
        case .int64: return .int64(try reader.read(Int64.self, "value of \"\(key)\""))
        case .float32: return .float32(try reader.readFloat("value of \"\(key)\""))
        case .float64: return .float64(try reader.readDouble("value of \"\(key)\""))
        case .bool: return .bool(try reader.read(UInt8.self, "value of \"\(key)\"") != 0)
        case .string: return .string(try reader.readString("value of \"\(key)\""))
        case .array:
            guard depth < maximumArrayNesting else { throw reader.error(.arrayNestingTooDeep(key: key)) }
            let elementCode = try reader.read(UInt32.self, "element type of \"\(key)\"")
            guard let element = GGUFValueType(rawValue: elementCode) else {
                throw reader.error(.unknownValueType(key: key, type: elementCode))
            }
            let count = try reader.readCount("array \"\(key)\"", minimumBytes: element.minimumBytes)
            var elements: [GGUFValue] = []
            elements.reserveCapacity(count)
            for _ in 0 ..< count {
                elements.append(try readValue(element, key: key, depth: depth + 1, from: &reader))
            }
            return .array(element, elements)
        }
    }
}
