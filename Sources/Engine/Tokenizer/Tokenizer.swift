import Foundation

public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// `tokenizer.ggml.model` is not "gpt2" (byte-level BPE), the only kind this tokenizer implements.
    case unsupportedModel(String)
    /// `tokenizer.ggml.pre` names a pre-tokeniser this tokenizer does not implement.
    case unknownPreTokenizer(String)
    case typeCountMismatch(tokens: Int, types: Int)
    /// A special-token id (bos, eos, …) outside the vocabulary.
    case tokenIdOutOfRange(key: String, id: Int, vocabularySize: Int)
    /// A chat template that is not ChatML (`<|im_start|>role\ncontent<|im_end|>\n`).
    case unsupportedChatTemplate(String)
    /// A metadata key missing or of the wrong type.
    case metadata(GGUFError)

    public var description: String {
        switch self {
        case .unsupportedModel(let model):
            return "tokenizer model \"\(model)\" is not supported (only \"gpt2\" byte-level BPE)"
        case .unknownPreTokenizer(let pre):
            let known = PreTokenizer.allCases.map(\.rawValue).joined(separator: ", ")
            return "pre-tokenizer \"\(pre)\" is not supported (known: \(known))"
        case .typeCountMismatch(let tokens, let types):
            return "tokenizer has \(tokens) tokens but \(types) token types"
        case .tokenIdOutOfRange(let key, let id, let size):
            return "\(key) = \(id) is outside the vocabulary of \(size) tokens"
        case .unsupportedChatTemplate(let why):
            return "unsupported chat template: \(why)"
        case .metadata(let error):
            return error.description
        }
    }
}

/// A GGUF byte-level BPE tokenizer (GPT-2 family), giving the same token ids as llama.cpp.
///
/// Encoding: special tokens written in the text are cut out first (longest token text first, every occurrence,
/// as llama.cpp's `tokenizer_st_partition`), the rest is pre-tokenised into words (`PreTokenizer`), each word's
/// UTF-8 bytes are written in the byte-level alphabet and merged by BPE rank. Words are cached.
public final class Tokenizer: Sendable {
    /// GGUF `tokenizer.ggml.token_type` values (llama.cpp's `llama_token_type`).
    public enum TokenType: Int, Sendable {
        case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// Token texts, in the byte-level alphabet for normal tokens ("Ġthe"), verbatim for special ones.
    public let tokens: [String]
    public let types: [TokenType]
    public let preTokenizer: PreTokenizer
    public let bos: Int32?
    public let eos: Int32?
    public let eot: Int32?
    /// Whether `encode` starts with BOS (`tokenizer.ggml.add_bos_token`; false for SmolLM2 and Qwen2.5).
    public let addBOS: Bool
    /// `tokenizer.chat_template` as written in the file.
    public let chatTemplateSource: String?
    /// Tokens that end generation: eos, eot, and the tokens llama.cpp treats as end-of-generation by their text.
    public let endOfGeneration: Set<Int32>

    private let tokenToId: [String: Int32]
    private let bpe: BPEMerges
    /// Special tokens (control, user-defined, unknown) as UTF-8, longest first.
    private let specials: [(id: Int32, bytes: [UInt8], control: Bool)]
    private let cache = WordCache()

    /// Texts llama.cpp marks end-of-generation (and control) whatever the file says.
    static let endOfGenerationTexts: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>",
        "<|end_of_text|>", "<end_of_utterance>",
    ]

    /// A tokenizer from its parts (the GGUF metadata, or a small hand-made vocabulary in tests).
    /// - Parameters:
    ///   - merges: "left right" in rank order.
    ///   - types: one per token; nil means all normal.
    public init(tokens: [String], merges: [String], types: [TokenType]? = nil, preTokenizer: PreTokenizer,
                bos: Int32? = nil, eos: Int32? = nil, eot: Int32? = nil, addBOS: Bool = false,
                chatTemplate: String? = nil) throws(TokenizerError) {
        if let types, types.count != tokens.count {
            throw .typeCountMismatch(tokens: tokens.count, types: types.count)
        }
        for (key, id) in [("bos", bos), ("eos", eos), ("eot", eot)] {
            if let id, !(0 ..< tokens.count).contains(Int(id)) {
                throw .tokenIdOutOfRange(key: key, id: Int(id), vocabularySize: tokens.count)
            }
        }
        // llama.cpp renames empty tokens so that every text is unique.
        let texts = tokens.enumerated().map { $0.element.isEmpty ? "[EMPTY_\($0.offset)]" : $0.element }
        var tokenToId: [String: Int32] = [:]
        tokenToId.reserveCapacity(texts.count)
        for (id, text) in texts.enumerated() { tokenToId[text] = Int32(id) }
        var types = types ?? Array(repeating: .normal, count: texts.count)
        var endOfGeneration = Set([eos, eot].compactMap { $0 })
        for (id, text) in texts.enumerated() where Self.endOfGenerationTexts.contains(text) {
            endOfGeneration.insert(Int32(id))
            if types[id] != .control { types[id] = .control }
        }
        self.tokens = texts
        self.types = types
        self.tokenToId = tokenToId
        self.preTokenizer = preTokenizer
        self.bos = bos
        self.eos = eos
        self.eot = eot
        self.addBOS = addBOS
        self.chatTemplateSource = chatTemplate
        self.endOfGeneration = endOfGeneration
        self.bpe = BPEMerges(merges: merges, tokenToId: tokenToId, vocabularySize: texts.count)
        self.specials = types.enumerated()
            .filter { [.control, .userDefined, .unknown].contains($0.element) }
            .map { (id: Int32($0.offset), bytes: Array(texts[$0.offset].utf8), control: $0.element != .userDefined) }
            .sorted { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
    }

    /// The tokenizer a GGUF file describes (`tokenizer.ggml.*`, `tokenizer.chat_template`).
    public convenience init(gguf: GGUFFile) throws(TokenizerError) {
        let m = gguf.metadata
        func wrap<T>(_ body: () throws(GGUFError) -> T) throws(TokenizerError) -> T {
            do { return try body() } catch { throw .metadata(error) }
        }
        func optionalId(_ key: String) throws(TokenizerError) -> Int32? {
            guard m[key] != nil else { return nil }
            return Int32(truncatingIfNeeded: try wrap { () throws(GGUFError) in try m.int(key) })
        }
        let model = try wrap { () throws(GGUFError) in try m.string("tokenizer.ggml.model") }
        guard model == "gpt2" else { throw .unsupportedModel(model) }
        let pre = m["tokenizer.ggml.pre"] == nil
            ? "default" : try wrap { () throws(GGUFError) in try m.string("tokenizer.ggml.pre") }
        let preTokenizer: PreTokenizer
        switch pre {
        case "smollm": preTokenizer = .smollm
        case "qwen2": preTokenizer = .qwen2
        case "gpt-2": preTokenizer = .gpt2
        default: throw .unknownPreTokenizer(pre)
        }
        let tokens = try wrap { () throws(GGUFError) in try m.strings("tokenizer.ggml.tokens") }
        let merges = try wrap { () throws(GGUFError) in try m.strings("tokenizer.ggml.merges") }
        var types: [TokenType]? = nil
        if m["tokenizer.ggml.token_type"] != nil {
            types = try wrap { () throws(GGUFError) in try m.ints("tokenizer.ggml.token_type") }
                .map { TokenType(rawValue: $0) ?? .undefined }
        }
        let addBOS = m["tokenizer.ggml.add_bos_token"] == nil
            ? false : try wrap { () throws(GGUFError) in try m.bool("tokenizer.ggml.add_bos_token") }
        let template = m["tokenizer.chat_template"] == nil
            ? nil : try wrap { () throws(GGUFError) in try m.string("tokenizer.chat_template") }
        try self.init(tokens: tokens, merges: merges, types: types, preTokenizer: preTokenizer,
                      bos: optionalId("tokenizer.ggml.bos_token_id"), eos: optionalId("tokenizer.ggml.eos_token_id"),
                      eot: optionalId("tokenizer.ggml.eot_token_id"), addBOS: addBOS, chatTemplate: template)
    }

    public var vocabularySize: Int { tokens.count }

    /// The file's chat template, when it is ChatML.
    public func chatTemplate() throws(TokenizerError) -> ChatTemplate {
        guard let source = chatTemplateSource else { throw .unsupportedChatTemplate("the model has no chat template") }
        return try ChatTemplate(template: source)
    }

    // MARK: - Encoding

    /// Token ids of `text` (BOS first only when the file asks for it).
    /// - Parameter parseSpecial: recognise control tokens written in the text (`<|im_start|>`); user-defined
    ///   tokens are recognised either way, as in llama.cpp.
    public func encode(_ text: String, parseSpecial: Bool = true) -> [Int32] {
        var output: [Int32] = []
        if addBOS, let bos { output.append(bos) }
        let bytes = Array(text.utf8)
        if bytes.isEmpty { return output }
        output.reserveCapacity(bytes.count / 3)
        for fragment in partition(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id): output.append(id)
            case .text(let range): encodeOrdinary(bytes, range, into: &output)
            }
        }
        return output
    }

    enum Fragment: Equatable {
        case text(Range<Int>)
        case token(Int32)
    }

    /// Cuts special tokens out of the text: each special token in turn (longest first) splits every text fragment
    /// at each of its occurrences, left to right.
    func partition(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        var fragments: [Fragment] = [.text(0 ..< bytes.count)]
        for special in specials where parseSpecial || !special.control {
            let needle = special.bytes
            guard !needle.isEmpty else { continue }
            var result: [Fragment] = []
            result.reserveCapacity(fragments.count)
            var changed = false
            for fragment in fragments {
                guard case .text(let range) = fragment else { result.append(fragment); continue }
                var start = range.lowerBound
                var searchFrom = start
                while let match = Self.find(needle, in: bytes, from: searchFrom, to: range.upperBound) {
                    if match > start { result.append(.text(start ..< match)) }
                    result.append(.token(special.id))
                    start = match + needle.count
                    searchFrom = start
                    changed = true
                }
                if start < range.upperBound { result.append(.text(start ..< range.upperBound)) }
            }
            if changed { fragments = result }
        }
        return fragments
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int, to: Int) -> Int? {
        let count = needle.count
        guard to - from >= count else { return nil }
        let first = needle[0]
        var i = from
        let last = to - count
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < count && haystack[i + j] == needle[j] { j += 1 }
                if j == count { return i }
            }
            i += 1
        }
        return nil
    }

    /// Pre-tokenise one fragment of ordinary text and BPE each word.
    private func encodeOrdinary(_ bytes: [UInt8], _ range: Range<Int>, into output: inout [Int32]) {
        let text = String(decoding: bytes[range], as: UTF8.self)
        let scalars = Array(text.unicodeScalars)
        // Byte offset of every scalar (the fragment is valid UTF-8, so scalars and bytes correspond one to one).
        var offsets = [Int](repeating: 0, count: scalars.count + 1)
        var offset = range.lowerBound
        for (i, scalar) in scalars.enumerated() {
            offsets[i] = offset
            offset += UTF8.width(scalar)
        }
        offsets[scalars.count] = offset
        for word in preTokenizer.split(scalars) {
            let wordBytes = bytes[offsets[word.lowerBound] ..< offsets[word.upperBound]]
            if let cached = cache.lookup(wordBytes) {
                output.append(contentsOf: cached)
                continue
            }
            var ids: [Int32] = []
            for symbol in bpe.apply(wordBytes) {
                if Int(symbol) < tokens.count {
                    ids.append(symbol)
                } else {
                    // A merge result that is not a token: llama.cpp falls back to one-byte tokens of its text.
                    for byte in bpe.extraTexts[Int(symbol) - tokens.count].utf8 where byte < 0x80 {
                        if let id = tokenToId[String(Unicode.Scalar(byte))] { ids.append(id) }
                    }
                }
            }
            cache.store(wordBytes, ids)
            output.append(contentsOf: ids)
        }
    }

    // MARK: - Decoding

    /// The vocabulary text of a token (byte-level alphabet for normal tokens), nil outside the vocabulary.
    public func tokenText(_ id: Int32) -> String? {
        (0 ..< tokens.count).contains(Int(id)) ? tokens[Int(id)] : nil
    }

    /// The id of a vocabulary text ("<|im_end|>", "Ġthe").
    public func id(of text: String) -> Int32? { tokenToId[text] }

    /// Control, user-defined or unknown: the tokens `encode` recognises in text.
    public func isSpecial(_ id: Int32) -> Bool {
        guard let type = (0 ..< tokens.count).contains(Int(id)) ? types[Int(id)] : nil else { return false }
        return type == .control || type == .userDefined || type == .unknown
    }

    /// The bytes a token stands for: normal tokens through the byte-level alphabet, user-defined tokens verbatim,
    /// control and unknown tokens verbatim only with `renderSpecial` (otherwise nothing, as llama.cpp's default).
    public func bytes(of id: Int32, renderSpecial: Bool = false) -> [UInt8] {
        guard (0 ..< tokens.count).contains(Int(id)) else { return [] }
        let text = tokens[Int(id)]
        switch types[Int(id)] {
        case .control, .unknown: return renderSpecial ? Array(text.utf8) : []
        case .userDefined: return Array(text.utf8)
        case .normal, .byte:
            var out: [UInt8] = []
            ByteLevel.decode(text, into: &out)
            return out
        case .unused, .undefined: return []
        }
    }

    /// Text of a token sequence; byte sequences that are not valid UTF-8 become U+FFFD.
    public func decode(_ ids: [Int32], renderSpecial: Bool = false) -> String {
        var out: [UInt8] = []
        for id in ids { out.append(contentsOf: bytes(of: id, renderSpecial: renderSpecial)) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Word → ids, shared by every encode on one tokenizer (bounded: cleared when full).
final class WordCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [ArraySlice<UInt8>: [Int32]] = [:]
    static let capacity = 100_000

    func lookup(_ word: ArraySlice<UInt8>) -> [Int32]? {
        lock.lock(); defer { lock.unlock() }
        return entries[word]
    }

    func store(_ word: ArraySlice<UInt8>, _ ids: [Int32]) {
        lock.lock(); defer { lock.unlock() }
        if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
        entries[ArraySlice(Array(word))] = ids
    }
}
