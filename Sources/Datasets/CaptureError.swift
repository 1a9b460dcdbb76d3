/// Everything that can be wrong with a capture file or with a request to read or write one.
/// Every case names the file and, where there is one, the HDF5 path (e.g. `/samples/0/layers/3/keys`);
/// `description` says what is wrong and what to fix.
public enum CaptureError: Error, CustomStringConvertible, Equatable {
    case fileNotFound(file: String)
    /// The file exists but does not start with the HDF5 signature.
    case notHDF5(file: String)
    /// HDF5 could not open the file (truncated or corrupt).
    case unreadable(file: String)
    /// Root attribute `format` is not "magicpig-capture".
    case wrongFormat(file: String, found: String)
    case unsupportedVersion(file: String, found: Int)
    case missingAttribute(file: String, path: String, name: String)
    /// An attribute exists but is not of the expected kind ("string" or "integer").
    case wrongAttributeType(file: String, path: String, name: String, expected: String)
    /// Header values that contradict each other, e.g. num_heads not divisible by num_kv_heads.
    case invalidHeader(file: String, reason: String)
    /// A group or dataset the format requires is absent.
    case missingObject(file: String, path: String)
    /// A group name that should be a decimal index (samples/<i>, layers/<l>) is not.
    case invalidName(file: String, path: String)
    case wrongRank(file: String, path: String, expected: Int, found: Int)
    /// `path` has `found` of `what` but `reference` says `expected`.
    case shapeMismatch(file: String, path: String, what: String, found: Int, expected: Int, reference: String)
    /// A tensor that is not float16/32/64, or positions that are not integers.
    case wrongElementType(file: String, path: String, found: String, expected: String)
    /// query_positions negative, not strictly increasing, or not below T.
    case invalidPositions(file: String, path: String, reason: String)
    case promptTokensOutOfRange(file: String, path: String, promptTokens: Int, tokenCount: Int)
    /// `index` is the multi-index of the first NaN or infinite element; `value` is "nan", "inf" or "-inf".
    case nonFinite(file: String, path: String, index: [Int], value: String)
    case layerOutOfRange(file: String, path: String, layer: Int, numLayers: Int)
    /// readLayer/writeLayer asked for a sample or layer the file does not hold.
    case noSuchSample(file: String, sample: Int)
    case noSuchLayer(file: String, sample: Int, layer: Int)
    /// The writer was used out of order or given inconsistent data.
    case invalidWrite(file: String, reason: String)
    /// An HDF5 call failed where the input had already been checked (disk full, permissions, ...).
    case hdf5Failure(file: String, path: String, operation: String)

    public var description: String {
        switch self {
        case .fileNotFound(let file):
            return "\(file): no such file; check the capture path"
        case .notHDF5(let file):
            return "\(file): not an HDF5 file; a capture is an HDF5 file in magicpig capture format v1"
        case .unreadable(let file):
            return "\(file): HDF5 cannot open the file; it is truncated or corrupt, re-create the capture"
        case .wrongFormat(let file, let found):
            return "\(file): root attribute format is \"\(found)\" but a capture needs \"magicpig-capture\""
        case .unsupportedVersion(let file, let found):
            return "\(file): format_version \(found) is not supported; this reader reads format_version 1"
        case .missingAttribute(let file, let path, let name):
            return "\(file): \(path) has no attribute \(name); format v1 requires it"
        case .wrongAttributeType(let file, let path, let name, let expected):
            return "\(file): attribute \(name) of \(path) must be \(expected)"
        case .invalidHeader(let file, let reason):
            return "\(file): invalid header: \(reason)"
        case .missingObject(let file, let path):
            return "\(file): \(path) is missing; format v1 requires it"
        case .invalidName(let file, let path):
            return "\(file): \(path) is not a decimal index; sample and layer groups are named 0, 1, 2, ..."
        case .wrongRank(let file, let path, let expected, let found):
            return "\(file): \(path) has \(found) dimensions but format v1 needs \(expected)"
        case .shapeMismatch(let file, let path, let what, let found, let expected, let reference):
            return "\(file): \(path) has \(found) \(what) but \(reference) says \(expected)"
        case .wrongElementType(let file, let path, let found, let expected):
            return "\(file): \(path) holds \(found) but format v1 needs \(expected)"
        case .invalidPositions(let file, let path, let reason):
            return "\(file): \(path): \(reason)"
        case .promptTokensOutOfRange(let file, let path, let promptTokens, let tokenCount):
            return "\(file): \(path) has prompt_tokens \(promptTokens) but it must be in 1...\(tokenCount) (T, the keys' length)"
        case .nonFinite(let file, let path, let index, let value):
            let at = index.map(String.init).joined(separator: ", ")
            return "\(file): \(path) holds \(value) at [\(at)]; captures must be finite"
        case .layerOutOfRange(let file, let path, let layer, let numLayers):
            return "\(file): \(path) is layer \(layer) but the file header says num_layers = \(numLayers)"
        case .noSuchSample(let file, let sample):
            return "\(file): there is no /samples/\(sample)"
        case .noSuchLayer(let file, let sample, let layer):
            return "\(file): /samples/\(sample) has no layer \(layer)"
        case .invalidWrite(let file, let reason):
            return "\(file): cannot write: \(reason)"
        case .hdf5Failure(let file, let path, let operation):
            return "\(file): HDF5 failed to \(operation) \(path)"
        }
    }
}
