/// A bounds-checked little-endian cursor over the mapped header of a GGUF file.
///
/// Every read checks what is left before touching memory, and every length or count is compared with the
/// bytes that remain before anything is allocated for it, so a corrupt header costs an error, not a crash.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let file: String
    private(set) var offset: Int = 0

    init(bytes: UnsafeRawBufferPointer, file: String) {
        self.bytes = bytes
        self.file = file
    }

    var remaining: Int { bytes.count - offset }

    func error(_ problem: GGUFError.Problem) -> GGUFError { GGUFError(file: file, problem) }

    private func need(_ count: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
        if count > remaining {
            throw error(.truncated(what: what(), offset: offset, needed: count, fileSize: bytes.count))
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
        try need(MemoryLayout<T>.size, what())
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws(GGUFError) -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws(GGUFError) -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// A GGUF string: a u64 byte length, then that many bytes of UTF-8 (no terminator).
    mutating func readString(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let length = try read(UInt64.self, what() + " length")
        guard length <= UInt64(remaining) else {
            throw error(.stringTooLong(what: what(), length: length, remainingBytes: remaining))
        }
        let count = Int(length)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + count])
        offset += count
        // Token vocabularies hold partial UTF-8 sequences only as byte tokens ("<0xE2>"), never raw, so strict
        // decoding is right; a bad string means a corrupt file.
        guard let string = String(validating: slice, as: UTF8.self) else { throw error(.invalidUTF8(what: what())) }
        return string
    }

    /// A count of items each at least `minimumBytes` long, rejected before any allocation if they cannot fit.
    mutating func readCount(_ what: @autoclosure () -> String, minimumBytes: Int) throws(GGUFError) -> Int {
        let count = try read(UInt64.self, what() + " count")
        let limit = UInt64(remaining / max(minimumBytes, 1))
        guard count <= limit else { throw error(.countTooLarge(what: what(), count: count, remainingBytes: remaining)) }
        return Int(count)
    }

    mutating func skip(to newOffset: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
        try need(newOffset - offset, what())
        offset = newOffset
    }
}
