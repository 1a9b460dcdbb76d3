extension GGUFFile {
    /// Dequantises whole rows (`rowLength` elements each, rows counted across all higher dimensions) of a
    /// tensor into the start of `destination`.
    public func dequantize(_ info: GGUFTensorInfo, rows: Range<Int>,
                           into destination: UnsafeMutableBufferPointer<Float>) throws(GGUFError) {
        guard info.type.isDequantisable else { throw GGUFError(file: path, .unsupportedTensorType(tensor: info.name, type: info.type)) }
        guard rows.lowerBound >= 0, rows.upperBound <= info.rowCount else {
            throw GGUFError(file: path, .rowsOutOfRange(tensor: info.name, rows: rows, rowCount: info.rowCount))
        }
        let count = rows.count * info.rowLength
        guard count <= destination.count else {
            throw GGUFError(file: path, .destinationTooSmall(tensor: info.name, needed: count, available: destination.count))
        }
        guard count > 0, let target = destination.baseAddress, let base = bytes(of: info).baseAddress else { return }
        Dequantize.elements(info.type, from: base + rows.lowerBound * info.rowBytes, count: count, into: target)
    }

    /// Dequantises rows of a tensor (all of them by default) into a new array.
    public func dequantize(_ info: GGUFTensorInfo, rows: Range<Int>? = nil) throws(GGUFError) -> [Float] {
        let rows = rows ?? 0 ..< info.rowCount
        guard rows.lowerBound >= 0, rows.upperBound <= info.rowCount else {
            throw GGUFError(file: path, .rowsOutOfRange(tensor: info.name, rows: rows, rowCount: info.rowCount))
        }
        var result = [Float](repeating: 0, count: rows.count * info.rowLength)
        var failure: GGUFError?
        result.withUnsafeMutableBufferPointer { buffer in
            do throws(GGUFError) { try dequantize(info, rows: rows, into: buffer) } catch { failure = error }
        }
        if let failure { throw failure }
        return result
    }

    /// Dequantises rows of the tensor called `name`.
    public func dequantize(_ name: String, rows: Range<Int>? = nil) throws(GGUFError) -> [Float] {
        try dequantize(info(name), rows: rows)
    }
}
