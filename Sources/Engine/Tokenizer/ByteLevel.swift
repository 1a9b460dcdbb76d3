/// GPT-2's byte-level alphabet: every byte is written as one printable Unicode scalar, so BPE vocabularies hold
/// only printable text. Bytes `!`…`~`, `¡`…`¬` and `®`…`ÿ` stand for themselves; the other 68 bytes (controls,
/// space, 0x7F–0xA0, 0xAD) take U+0100, U+0101, … in byte order (so a space is `Ġ`, U+0120, and "\n" is `Ċ`).
public enum ByteLevel {
    /// The scalar that stands for each byte.
    public static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0 ..< 256 {
            if (0x21 ... 0x7E).contains(byte) || (0xA1 ... 0xAC).contains(byte) || (0xAE ... 0xFF).contains(byte) {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte each alphabet scalar stands for (nil for scalars outside the alphabet).
    public static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let v = scalar.value
        if v < 256 {
            if (0x21 ... 0x7E).contains(v) || (0xA1 ... 0xAC).contains(v) || (0xAE ... 0xFF).contains(v) { return UInt8(v) }
            return nil
        }
        guard v < 256 + 68 else { return nil }
        return inverse[Int(v - 256)]
    }

    private static let inverse: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 68)
        for byte in 0 ..< 256 where scalarForByte[byte].value >= 256 {
            table[Int(scalarForByte[byte].value - 256)] = UInt8(byte)
        }
        return table
    }()

    /// Bytes written in the alphabet ("Ġhi" for " hi").
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var view = String.UnicodeScalarView()
        for byte in bytes { view.append(scalarForByte[Int(byte)]) }
        return String(view)
    }

    /// The bytes an alphabet string stands for; scalars outside the alphabet are kept as their own UTF-8 bytes.
    public static func decode(_ text: String, into bytes: inout [UInt8]) {
        for scalar in text.unicodeScalars {
            if let byte = byte(for: scalar) {
                bytes.append(byte)
            } else {
                bytes.append(contentsOf: String(scalar).utf8)
            }
        }
    }
}
