/// The value types of GGUF metadata (raw values from the GGUF specification's `gguf_metadata_value_type`).
public enum GGUFValueType: UInt32, Sendable, CustomStringConvertible {
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
    case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    /// The fewest bytes one value of this type occupies in the file (for rejecting impossible counts early).
    var minimumBytes: Int {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64, .string: return 8
        case .array: return 12
        }
    }

    public var description: String {
        switch self {
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .uint16: return "uint16"
        case .int16: return "int16"
        case .uint32: return "uint32"
        case .int32: return "int32"
        case .float32: return "float32"
        case .bool: return "bool"
        case .string: return "string"
        case .array: return "array"
        case .uint64: return "uint64"
        case .int64: return "int64"
        case .float64: return "float64"
        }
    }
}

/// One metadata value. Arrays keep their declared element type, so an empty array still says what it holds.
public enum GGUFValue: Equatable, Sendable, CustomStringConvertible {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
    case array(GGUFValueType, [GGUFValue])

    public var type: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .uint64: return .uint64
        case .int64: return .int64
        case .float32: return .float32
        case .float64: return .float64
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        }
    }

    /// Any integer type, widened; nil for non-integers and for a uint64 beyond Int.max.
    public var integer: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(v)
        default: return nil
        }
    }

    /// Any float or integer type, as Double.
    public var real: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return integer.map(Double.init)
        }
    }

    /// A short rendering for listings: arrays show their type and length, not their contents.
    public var description: String {
        switch self {
        case .string(let s): return "\"\(s)\""
        case .array(let type, let values): return "[\(type); \(values.count)]"
        case .bool(let v): return String(v)
        case .float32(let v): return String(v)
        case .float64(let v): return String(v)
        default: return String(integer ?? 0)
        }
    }

    var typeName: String {
        if case .array(let element, _) = self { return "array of \(element)" }
        return type.description
    }
}

/// The key/value metadata of a GGUF file, in file order, with typed accessors that say what is wrong.
///
/// `metadata.int("llama.block_count")` accepts any integer type, because converters disagree (llama.cpp writes
/// uint32 for most counts, others write int32 or uint64); strings, floats and arrays are strict.
public struct GGUFMetadata: Sendable {
    public let file: String
    /// Keys in the order the file lists them.
    public let keys: [String]
    public let values: [String: GGUFValue]

    init(file: String, keys: [String], values: [String: GGUFValue]) {
        self.file = file
        self.keys = keys
        self.values = values
    }

    public subscript(key: String) -> GGUFValue? { values[key] }

    private func value(_ key: String) throws(GGUFError) -> GGUFValue {
        guard let value = values[key] else { throw GGUFError(file: file, .missingKey(key)) }
        return value
    }

    private func mismatch(_ key: String, _ expected: String, _ value: GGUFValue) -> GGUFError {
        GGUFError(file: file, .wrongValueType(key: key, expected: expected, actual: value.typeName))
    }

    public func int(_ key: String) throws(GGUFError) -> Int {
        let value = try value(key)
        guard let int = value.integer else { throw mismatch(key, "an integer", value) }
        return int
    }

    public func float(_ key: String) throws(GGUFError) -> Double {
        let value = try value(key)
        guard let real = value.real else { throw mismatch(key, "a number", value) }
        return real
    }

    public func bool(_ key: String) throws(GGUFError) -> Bool {
        let value = try value(key)
        guard case .bool(let bool) = value else { throw mismatch(key, "bool", value) }
        return bool
    }

    public func string(_ key: String) throws(GGUFError) -> String {
        let value = try value(key)
        guard case .string(let string) = value else { throw mismatch(key, "string", value) }
        return string
    }

    public func strings(_ key: String) throws(GGUFError) -> [String] {
        let value = try value(key)
        guard case .array(.string, let values) = value else { throw mismatch(key, "array of string", value) }
        return values.map { if case .string(let s) = $0 { s } else { "" } }
    }

    /// An array of any integer type, widened (token types are int32, some converters write other widths).
    public func ints(_ key: String) throws(GGUFError) -> [Int] {
        let value = try value(key)
        guard case .array(_, let values) = value else { throw mismatch(key, "array of integers", value) }
        var result: [Int] = []
        result.reserveCapacity(values.count)
        for element in values {
            guard let int = element.integer else { throw mismatch(key, "array of integers", value) }
            result.append(int)
        }
        return result
    }

    /// An array of float32 (token scores) or of any number, as Float.
    public func floats(_ key: String) throws(GGUFError) -> [Float] {
        let value = try value(key)
        guard case .array(_, let values) = value else { throw mismatch(key, "array of numbers", value) }
        var result: [Float] = []
        result.reserveCapacity(values.count)
        for element in values {
            guard let real = element.real else { throw mismatch(key, "array of numbers", value) }
            result.append(Float(real))
        }
        return result
    }
}
