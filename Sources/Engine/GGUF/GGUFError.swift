/// Everything that can be wrong with a GGUF file, named with the file it came from.
///
/// Every read of the file is bounds-checked and every count and offset is validated against the file size
/// before it is used, so a truncated or corrupt file ends here and never in a crash or a huge allocation.
public struct GGUFError: Error, Equatable, CustomStringConvertible {
    public enum Problem: Equatable, Sendable {
        case cannotOpen(reason: String)
        /// The first four bytes are not "GGUF" (given as read, little-endian).
        case badMagic(UInt32)
        /// Only versions 2 and 3 are read (version 1 used 32-bit counts; later versions are unknown).
        case unsupportedVersion(UInt32)
        /// A read of `needed` bytes for `what` at byte `offset` runs past the end of the file.
        case truncated(what: String, offset: Int, needed: Int, fileSize: Int)
        /// A count (of tensors, metadata entries, array elements) that cannot fit in the rest of the file.
        case countTooLarge(what: String, count: UInt64, remainingBytes: Int)
        /// A string whose declared length exceeds what is left of the file.
        case stringTooLong(what: String, length: UInt64, remainingBytes: Int)
        case invalidUTF8(what: String)
        case unknownValueType(key: String, type: UInt32)
        case arrayNestingTooDeep(key: String)
        case duplicateKey(String)
        case badAlignment(UInt64)
        case unknownTensorType(tensor: String, type: UInt32)
        case badShape(tensor: String, dims: [UInt64], reason: String)
        case duplicateTensor(String)
        case misalignedTensor(tensor: String, offset: UInt64, alignment: Int)
        /// The tensor's bytes, `[start, end)` in the file, do not lie inside the file.
        case tensorDataPastEnd(tensor: String, start: UInt64, end: UInt64, fileSize: Int)
        // Lookups by callers.
        case missingKey(String)
        case wrongValueType(key: String, expected: String, actual: String)
        case missingTensor(String)
        case unsupportedTensorType(tensor: String, type: GGMLType)
        case rowsOutOfRange(tensor: String, rows: Range<Int>, rowCount: Int)
        case destinationTooSmall(tensor: String, needed: Int, available: Int)
    }

    public let file: String
    public let problem: Problem

    public init(file: String, _ problem: Problem) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file): \(explanation)" }

    private var explanation: String {
        switch problem {
        case .cannotOpen(let reason): return "cannot open: \(reason)"
        case .badMagic(let magic):
            let hex = "0x" + String(magic, radix: 16)
            return "not a GGUF file (magic \(hex), expected \"GGUF\")"
        case .unsupportedVersion(let version):
            return "GGUF version \(version) is not supported (only versions 2 and 3 are read)"
        case .truncated(let what, let offset, let needed, let fileSize):
            return "truncated: \(what) needs \(needed) bytes at offset \(offset) but the file has \(fileSize) bytes"
        case .countTooLarge(let what, let count, let remaining):
            return "corrupt: \(what) count \(count) cannot fit in the remaining \(remaining) bytes"
        case .stringTooLong(let what, let length, let remaining):
            return "corrupt: \(what) has length \(length) but only \(remaining) bytes remain"
        case .invalidUTF8(let what): return "corrupt: \(what) is not valid UTF-8"
        case .unknownValueType(let key, let type): return "metadata \"\(key)\" has unknown value type \(type)"
        case .arrayNestingTooDeep(let key): return "metadata \"\(key)\" nests arrays too deeply"
        case .duplicateKey(let key): return "metadata key \"\(key)\" appears twice"
        case .badAlignment(let value): return "general.alignment \(value) is not a power of two"
        case .unknownTensorType(let tensor, let type): return "tensor \"\(tensor)\" has unknown ggml type \(type)"
        case .badShape(let tensor, let dims, let reason): return "tensor \"\(tensor)\" has shape \(dims): \(reason)"
        case .duplicateTensor(let name): return "tensor \"\(name)\" appears twice in the tensor table"
        case .misalignedTensor(let tensor, let offset, let alignment):
            return "tensor \"\(tensor)\" data offset \(offset) is not a multiple of the alignment \(alignment)"
        case .tensorDataPastEnd(let tensor, let start, let end, let fileSize):
            return "truncated: tensor \"\(tensor)\" occupies bytes \(start)..<\(end) but the file has \(fileSize) bytes"
        case .missingKey(let key): return "metadata key \"\(key)\" is missing"
        case .wrongValueType(let key, let expected, let actual):
            return "metadata \"\(key)\" is \(actual), expected \(expected)"
        case .missingTensor(let name): return "no tensor named \"\(name)\""
        case .unsupportedTensorType(let tensor, let type):
            return "tensor \"\(tensor)\" has type \(type), which has no dequantiser yet (supported: "
                + GGMLType.dequantisable.map(\.description).joined(separator: ", ") + ")"
        case .rowsOutOfRange(let tensor, let rows, let count):
            return "rows \(rows) of tensor \"\(tensor)\" are out of range (it has \(count) rows)"
        case .destinationTooSmall(let tensor, let needed, let available):
            return "dequantising tensor \"\(tensor)\" needs \(needed) floats but the destination holds \(available)"
        }
    }
}
