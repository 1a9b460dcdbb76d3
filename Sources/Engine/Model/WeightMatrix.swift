import Kernels

/// A [rows × columns] weight in its storage type (quantised or float), read in place from the mapped GGUF.
///
/// Decode multiplies it by one vector, quantised to 8 bits for the integer kernels (`QuantizedDot+Int8.swift`)
/// or as floats with the fused dequantise·dot kernels of `QuantizedDot` for other types, so the model
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

    private init(rows: Int, columns: Int, type: GGMLType, storage: ByteStorage) {
        self.rows = rows
        self.columns = columns
        self.type = type
        rowBytes = columns / type.blockSize * type.blockBytes
        base = UnsafeRawPointer(storage.pointer)
        owner = storage
    }

    /// The same matrix stored for fast decode: Q5_0 rows re-stored as Q8_0 blocks (the same f16 scale d, each
    /// q − 16 as a signed byte), every other type unchanged.
    ///
    /// The values, the integer block sums and the order of the float operations are those of the Q5_0
    /// kernels, so decode and prefill give the same bits (a test checks it), but the block sums need no
    /// fifth-bit unpacking: without the byte shuffles llama.cpp uses (Swift cannot express them), unpacking in
    /// place costs more than the 12 extra bytes (docs/engine.md, "Fifth session": 20.0 against 22.4 tok/s).
    /// Costs 34 instead of 22 bytes per 32 weights in memory (Qwen2.5-0.5B: 268 MB of heap for 252 M weights).
    public func storedForDecode() -> WeightMatrix {
        guard type == .q5_0 else { return self }
        let blocksPerRow = columns / 32
        let storage = ByteStorage(byteCount: rows * blocksPerRow * 34)
        let source = SendablePointer(UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: UInt8.self)))
        let destination = SendablePointer(storage.pointer.assumingMemoryBound(to: UInt8.self))
        let total = rows * blocksPerRow
        // Blocks are independent; the copy is chunked over threads only to keep model loading short.
        let chunk = 1 << 16
        Parallel.forEach((total + chunk - 1) / chunk, threads: Parallel.defaultThreadCount) { c in
            for b in c * chunk ..< min(total, (c + 1) * chunk) {
                Self.widenQ5_0Block(UnsafeRawPointer(source.pointer + 22 * b), into: destination.pointer + 34 * b)
            }
        }
        return WeightMatrix(rows: rows, columns: columns, type: .q8_0, storage: storage)
    }

    @inline(__always)
    static func widenQ5_0Block(_ x: UnsafeRawPointer, into y: UnsafeMutablePointer<UInt8>) {
        y[0] = x.load(fromByteOffset: 0, as: UInt8.self)
        y[1] = x.load(fromByteOffset: 1, as: UInt8.self)
        for j in 0 ..< 16 {
            let (lo, hi) = Dequantize.q5_0Values(x, j)
            y[2 + j] = UInt8(bitPattern: Int8(lo))
            y[18 + j] = UInt8(bitPattern: Int8(hi))
        }
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
    init(byteCount: Int) {
        pointer = .allocate(byteCount: max(byteCount, 1), alignment: 64)
    }
    init(_ bytes: [UInt8]) {
        pointer = .allocate(byteCount: max(bytes.count, 1), alignment: 64)
        bytes.withUnsafeBytes { if let b = $0.baseAddress { pointer.copyMemory(from: b, byteCount: bytes.count) } }
    }
    deinit { pointer.deallocate() }
}
