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
    /// Q5_0 rows re-laid out for decode (`storedForDecode`), `columns / 128 × 88` bytes per row in groups of
    /// four blocks (`planeQ5_0Group`); nil for every other matrix. Prefill still reads `base`.
    private(set) var planes: ByteStorage? = nil

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

    private init(_ matrix: WeightMatrix, planes: ByteStorage) {
        rows = matrix.rows
        columns = matrix.columns
        type = matrix.type
        rowBytes = matrix.rowBytes
        base = matrix.base
        owner = matrix.owner
        self.planes = planes
    }

    private init(rows: Int, columns: Int, type: GGMLType, storage: ByteStorage) {
        self.rows = rows
        self.columns = columns
        self.type = type
        rowBytes = columns / type.blockSize * type.blockBytes
        base = UnsafeRawPointer(storage.pointer)
        owner = storage
    }

    /// The same matrix stored for fast decode. Q5_0 rows whose block count is a multiple of four (every Q5_0
    /// matrix of Qwen2.5-0.5B) get a planar copy for the integer kernel (`planeQ5_0Group`, 22 bytes per 32
    /// weights like Q5_0 itself); other Q5_0 rows are re-stored as Q8_0 blocks (the same f16 scale d, each
    /// q − 16 as a signed byte, 34 bytes per 32 weights); every other type is unchanged.
    ///
    /// Why: Q5_0's fifth bits sit in a u32 per block, and without the byte shuffles llama.cpp uses (Swift cannot
    /// express them) unpacking them in place cost more than reading wider Q8_0 blocks (docs/engine.md, "Fifth
    /// session"); the planar copy puts each element's fifth bit in a byte at the same position as its nibble,
    /// so a block unpacks with constant shifts and masks only, and decode reads 22 bytes per block again.
    /// Either way the values, the integer block sums and the order of the float operations are those of the
    /// Q5_0 kernel, so decode gives the same bits (a test checks it). Prefill reads the stored Q5_0 rows
    /// (planar copy) or the Q8_0 blocks (widened), both dequantising to the same floats.
    public func storedForDecode() -> WeightMatrix {
        guard type == .q5_0 else { return self }
        let blocksPerRow = columns / 32
        let total = rows * blocksPerRow
        let source = SendablePointer(UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: UInt8.self)))
        let planar = blocksPerRow % 4 == 0
        let storage = ByteStorage(byteCount: total * (planar ? 22 : 34))
        let destination = SendablePointer(storage.pointer.assumingMemoryBound(to: UInt8.self))
        // Blocks (groups of four when planar: rows hold whole groups) are independent; the copy is chunked over
        // threads only to keep model loading short.
        let chunk = 1 << 16, units = planar ? total / 4 : total
        Parallel.forEach((units + chunk - 1) / chunk, threads: Parallel.defaultThreadCount) { c in
            for u in c * chunk ..< min(units, (c + 1) * chunk) {
                if planar {
                    Self.planeQ5_0Group(UnsafeRawPointer(source.pointer + 88 * u), into: destination.pointer + 88 * u)
                } else {
                    Self.widenQ5_0Block(UnsafeRawPointer(source.pointer + 22 * u), into: destination.pointer + 34 * u)
                }
            }
        }
        return planar ? WeightMatrix(self, planes: storage) : WeightMatrix(rows: rows, columns: columns, type: .q8_0, storage: storage)
    }

    /// Four consecutive Q5_0 blocks (88 bytes) as one planar group (88 bytes): the four f16 scales, two 32-byte
    /// nibble planes (byte j of plane p: the low four bits of element j of block 2p in its low nibble, of block
    /// 2p + 1 in its high nibble) and 16 bytes of fifth bits (byte j: bit k for element j of block k, bit 4 + k
    /// for element j + 16 of block k).
    static func planeQ5_0Group(_ x: UnsafeRawPointer, into y: UnsafeMutablePointer<UInt8>) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { q in
            // q[32k + j] ∈ 0..<32: element j of block k, unpacked once.
            for k in 0..<4 {
                y[2 * k] = x.load(fromByteOffset: 22 * k, as: UInt8.self)
                y[2 * k + 1] = x.load(fromByteOffset: 22 * k + 1, as: UInt8.self)
                for j in 0..<16 {
                    let (lo, hi) = Dequantize.q5_0Values(x + 22 * k, j)
                    q[32 * k + j] = UInt8(truncatingIfNeeded: lo + 16)
                    q[32 * k + j + 16] = UInt8(truncatingIfNeeded: hi + 16)
                }
            }
            for p in 0..<2 {
                for j in 0..<32 { y[8 + 32 * p + j] = q[64 * p + j] & 0x0F | (q[64 * p + 32 + j] & 0x0F) << 4 }
            }
            for j in 0..<16 {
                var h: UInt8 = 0
                for k in 0..<4 { h |= (q[32 * k + j] >> 4) << k | (q[32 * k + j + 16] >> 4) << (4 + k) }
                y[72 + j] = h
            }
        }
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
        if let planes {
            let groups = planes.pointer, stride = columns / 128 * 88
            for r in range { y[r - range.lowerBound] = QuantizedDot.q5_0Planar(groups + r * stride, a) }
            return
        }
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
