import Kernels

/// A [rows × columns] weight in its storage type (quantised or float), read in place from the mapped GGUF.
///
/// Decode multiplies it by one vector with the fused dequantise·dot kernels (`QuantizedDot`), so the model
/// never holds a float copy of its weights; prefill dequantises blocks of rows and hands them to the compute
/// backend as a dense product.
public struct WeightMatrix: @unchecked Sendable {
    public let rows: Int
    public let columns: Int
    public let type: GGMLType
    let base: UnsafeRawPointer
    let rowBytes: Int
    /// Keeps the bytes alive: the mapped file, or the storage of a matrix built in memory.
    let owner: AnyObject

    /// A tensor of a GGUF file (2-D; higher dimensions are folded into rows).
    public init(file: GGUFFile, name: String) throws {
        let info = try file.info(name)
        guard info.type.isDequantisable else {
            throw ModelError.unsupportedWeightType(file: file.path, tensor: name, info.type)
        }
        rows = info.rowCount
        columns = info.rowLength
        type = info.type
        rowBytes = info.rowBytes
        base = file.bytes(of: info).baseAddress!
        owner = file
    }

    /// A Float32 matrix held in memory (tests, small models built by hand).
    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "values must be rows × columns")
        let storage = FloatStorage(values)
        self.rows = rows
        self.columns = columns
        type = .f32
        rowBytes = columns * 4
        base = UnsafeRawPointer(storage.pointer)
        owner = storage
    }

    /// Raw quantised bytes held in memory, `rows` rows of `type` blocks.
    public init(rows: Int, columns: Int, type: GGMLType, bytes: [UInt8]) {
        precondition(columns % type.blockSize == 0 && type.isDequantisable)
        let rowBytes = columns / type.blockSize * type.blockBytes
        precondition(bytes.count == rows * rowBytes, "bytes must hold rows × row bytes")
        let storage = ByteStorage(bytes)
        self.rows = rows
        self.columns = columns
        self.type = type
        self.rowBytes = rowBytes
        base = UnsafeRawPointer(storage.pointer)
        owner = storage
    }

    @inline(__always)
    func row(_ r: Int) -> UnsafeRawPointer { base + r * rowBytes }

    /// Row r as floats.
    public func dequantize(rows range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        guard !range.isEmpty else { return }
        Dequantize.elements(type, from: row(range.lowerBound), count: range.count * columns, into: destination)
    }

    /// y[r] = W[r]·x for r in `range` (single-threaded), with x quantised to 8 bits (decode; see
    /// `QuantizedActivation`). Types without an integer kernel use the float path on `x`.
    func multiply(_ x: UnsafePointer<Float>, quantized a: QuantizedActivation?, rows range: Range<Int>,
                  into y: UnsafeMutablePointer<Float>) {
        guard let a, QuantizedDot.hasInt8Kernel(type) else { return multiply(x, rows: range, into: y) }
        for r in range { y[r - range.lowerBound] = QuantizedDot.dot(type, row(r), a) }
    }

    /// y[r] = W[r]·x for r in `range` (single-threaded), writing y[r − range.lowerBound]; Float32 x, the
    /// reference the integer kernels are tested against.
    public func multiply(_ x: UnsafePointer<Float>, rows range: Range<Int>, into y: UnsafeMutablePointer<Float>) {
        if QuantizedDot.isFused(type) {
            for r in range { y[r - range.lowerBound] = QuantizedDot.dot(type, row(r), x, count: columns) }
        } else {
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: columns)
            defer { scratch.deallocate() }
            for r in range {
                Dequantize.elements(type, from: row(r), count: columns, into: scratch)
                y[r - range.lowerBound] = Vector.dot(scratch, x, count: columns)
            }
        }
    }
}

final class FloatStorage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    init(_ values: [Float]) {
        pointer = .allocate(capacity: max(values.count, 1))
        values.withUnsafeBufferPointer { if let b = $0.baseAddress { pointer.update(from: b, count: values.count) } }
    }
    deinit { pointer.deallocate() }
}

final class ByteStorage: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    init(_ bytes: [UInt8]) {
        pointer = .allocate(byteCount: max(bytes.count, 1), alignment: 64)
        bytes.withUnsafeBytes { if let b = $0.baseAddress { pointer.copyMemory(from: b, byteCount: bytes.count) } }
    }
    deinit { pointer.deallocate() }
}
