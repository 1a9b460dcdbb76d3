/// How a text fragment is cut into words before byte-level BPE, reproducing llama.cpp's pre-tokenisers
/// (src/llama-vocab.cpp and unicode.cpp) exactly, including where they differ from the regexes they stand for.
///
/// - `gpt2`: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// - `smollm`: first every `\p{N}` scalar becomes a piece of its own (the runs between are pieces too), then the
///   GPT-2 rules run inside each piece. A piece ends the text for the GPT-2 rules: `\s+(?!\S)` looks no further,
///   so "a  1" gives "a", "  ", "1" (whitespace before a digit stays whole).
/// - `qwen2`: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
///   (every digit alone, no number runs).
///
/// No regex engine: each rule is a hand-written scan over Unicode scalars with llama.cpp's character classes
/// (`\p{L}` letters, `\p{N}` numbers, `\s` the Unicode White_Space property), taken from Swift's Unicode data
/// restricted to the scalars of Unicode 15.1, the version of llama.cpp's tables.
public enum PreTokenizer: String, Sendable, CaseIterable {
    case gpt2
    case smollm
    case qwen2

    /// Word boundaries of `scalars` as consecutive ranges covering it, in order.
    public func split(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        let classes = scalars.map(ScalarClass.init)
        var words: [Range<Int>] = []
        words.reserveCapacity(scalars.count / 3 + 1)
        switch self {
        case .gpt2:
            Self.splitGPT2(scalars, classes, 0 ..< scalars.count, into: &words)
        case .smollm:
            // First stage: `\p{N}` matches single scalars; the gaps between matches are pieces of their own.
            var start = 0
            for i in 0 ..< scalars.count where classes[i].isNumber {
                if i > start { Self.splitGPT2(scalars, classes, start ..< i, into: &words) }
                words.append(i ..< i + 1)
                start = i + 1
            }
            if start < scalars.count { Self.splitGPT2(scalars, classes, start ..< scalars.count, into: &words) }
        case .qwen2:
            Self.splitQwen2(scalars, classes, 0 ..< scalars.count, into: &words)
        }
        return words
    }

    /// The words of `text` as strings (for tests and inspection).
    public func words(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return split(scalars).map { range in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[range])
            return String(view)
        }
    }

    // MARK: - GPT-2

    private static func splitGPT2(_ s: [Unicode.Scalar], _ c: [ScalarClass], _ bounds: Range<Int>,
                                  into words: inout [Range<Int>]) {
        let end = bounds.upperBound
        // Outside the piece a position has no class at all (not even "other"), which ends every run.
        func cls(_ i: Int) -> ScalarClass { i < end ? c[i] : .outside }
        var pos = bounds.lowerBound
        var wordStart = pos
        func emit(_ to: Int) {
            if to > wordStart { words.append(wordStart ..< to) }
            wordStart = to
        }
        while pos < end {
            let cpt = s[pos].value
            // 's 't 're 've 'm 'll 'd (case-sensitive)
            if cpt == 0x27, pos + 1 < end {
                let next = s[pos + 1].value
                if next == 0x73 || next == 0x74 || next == 0x6D || next == 0x64 {  // s t m d
                    emit(pos + 2); pos += 2; continue
                }
                if pos + 2 < end {
                    let next2 = s[pos + 2].value
                    if (next == 0x72 && next2 == 0x65) || (next == 0x76 && next2 == 0x65) || (next == 0x6C && next2 == 0x6C) {
                        emit(pos + 3); pos += 3; continue
                    }
                }
            }
            let isSpace = cpt == 0x20
            var c2 = isSpace ? cls(pos + 1) : c[pos]
            if c2.isLetter {  // ' ?\p{L}+'
                if isSpace { pos += 1 }
                while c2.isLetter { pos += 1; c2 = cls(pos) }
                emit(pos); continue
            }
            if c2.isNumber {  // ' ?\p{N}+'
                if isSpace { pos += 1 }
                while c2.isNumber { pos += 1; c2 = cls(pos) }
                emit(pos); continue
            }
            if c2.isOther {  // ' ?[^\s\p{L}\p{N}]+'
                if isSpace { pos += 1 }
                while c2.isOther { pos += 1; c2 = cls(pos) }
                emit(pos); continue
            }
            var spaces = 0
            while cls(pos + spaces).isWhitespace { spaces += 1 }
            if spaces > 1 && pos + spaces < end {  // '\s+(?!\S)': leave the last one for the next word
                pos += spaces - 1; emit(pos); continue
            }
            if spaces > 0 {  // '\s+'
                pos += spaces; emit(pos); continue
            }
            pos += 1; emit(pos)  // no rule matched
        }
    }

    // MARK: - Qwen2

    private static func splitQwen2(_ s: [Unicode.Scalar], _ c: [ScalarClass], _ bounds: Range<Int>,
                                   into words: inout [Range<Int>]) {
        let end = bounds.upperBound
        func cls(_ i: Int) -> ScalarClass { i < end ? c[i] : .outside }
        func scalar(_ i: Int) -> UInt32 { i < end ? s[i].value : UInt32.max }
        func lower(_ v: UInt32) -> UInt32 { (0x41 ... 0x5A).contains(v) ? v + 0x20 : v }
        var pos = bounds.lowerBound
        var wordStart = pos
        func emit(_ to: Int) {
            if to > wordStart { words.append(wordStart ..< to) }
            wordStart = to
        }
        while pos < end {
            let cpt = s[pos].value
            let here = c[pos]
            // (?i:'s|'t|'re|'ve|'m|'ll|'d)
            if cpt == 0x27, pos + 1 < end {
                let next = lower(s[pos + 1].value)
                if next == 0x73 || next == 0x74 || next == 0x6D || next == 0x64 {
                    emit(pos + 2); pos += 2; continue
                }
                if pos + 2 < end {
                    let next2 = lower(s[pos + 2].value)
                    if (next == 0x72 && next2 == 0x65) || (next == 0x76 && next2 == 0x65) || (next == 0x6C && next2 == 0x6C) {
                        emit(pos + 3); pos += 3; continue
                    }
                }
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if !(cpt == 0x0D || cpt == 0x0A || here.isNumber), here.isLetter || cls(pos + 1).isLetter {
                pos += 1
                while cls(pos).isLetter { pos += 1 }
                emit(pos); continue
            }
            // \p{N}
            if here.isNumber { pos += 1; emit(pos); continue }
            // ' ?[^\s\p{L}\p{N}]+[\r\n]*'. As in llama.cpp, a space that ends the piece is taken here on its own.
            let isSpace = cpt == 0x20
            var c2 = isSpace ? cls(pos + 1) : here
            if !(c2.isWhitespace || c2.isLetter || c2.isNumber) {
                if isSpace { pos += 1 }
                while c2.isOther { pos += 1; c2 = cls(pos) }
                while scalar(pos) == 0x0D || scalar(pos) == 0x0A { pos += 1 }
                emit(pos); continue
            }
            var spaces = 0
            var afterLastNewline = 0
            while cls(pos + spaces).isWhitespace {
                let v = s[pos + spaces].value
                if v == 0x0D || v == 0x0A { afterLastNewline = pos + spaces + 1 }
                spaces += 1
            }
            if afterLastNewline > 0 {  // '\s*[\r\n]+'
                pos = afterLastNewline; emit(pos); continue
            }
            if spaces > 1 && pos + spaces < end {  // '\s+(?!\S)'
                pos += spaces - 1; emit(pos); continue
            }
            if spaces > 0 {  // '\s+'
                pos += spaces; emit(pos); continue
            }
            pos += 1; emit(pos)
        }
    }
}

/// llama.cpp's view of a scalar for the pre-tokenisers: letter (\p{L}), number (\p{N}), whitespace (White_Space),
/// anything else ("other": punctuation, symbols, marks, controls, unassigned), or `outside` the current piece.
struct ScalarClass: Sendable, Equatable {
    let bits: UInt8
    static let letter: UInt8 = 1, number: UInt8 = 2, whitespace: UInt8 = 4, inside: UInt8 = 8

    static let outside = ScalarClass(bits: 0)

    var isLetter: Bool { bits & Self.letter != 0 }
    var isNumber: Bool { bits & Self.number != 0 }
    var isWhitespace: Bool { bits & Self.whitespace != 0 }
    /// `[^\s\p{L}\p{N}]` and inside the piece.
    var isOther: Bool { bits == Self.inside }

    init(bits: UInt8) { self.bits = bits }

    init(_ scalar: Unicode.Scalar) {
        let v = scalar.value
        if v < 128 {
            bits = Self.ascii[Int(v)]
        } else {
            bits = Self.classify(scalar)
        }
    }

    /// The Unicode version of llama.cpp's character tables (src/unicode-data.cpp). Swift's data is newer
    /// (Unicode 17 in Swift 6.3); scalars assigned later are unassigned there, so they are "other" here too.
    static let referenceUnicodeVersion = (major: 15, minor: 1)

    private static func classify(_ scalar: Unicode.Scalar) -> UInt8 {
        var bits = inside
        if let age = scalar.properties.age,
           (age.major, age.minor) > (referenceUnicodeVersion.major, referenceUnicodeVersion.minor) {
            return bits
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            bits |= letter
        case .decimalNumber, .letterNumber, .otherNumber:
            bits |= number
        default:
            break
        }
        if scalar.properties.isWhitespace { bits |= whitespace }
        return bits
    }

    private static let ascii: [UInt8] = (0 ..< 128).map { classify(Unicode.Scalar(UInt8($0))) }
}
