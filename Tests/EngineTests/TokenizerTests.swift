import Foundation
import Testing
@testable import Engine

/// The tokenizer on small hand-made vocabularies: no model file needed.
@Suite struct TokenizerTests {
    /// The 256 byte scalars (ids 0…255, in byte order), then the merge results, then `extra` tokens.
    static func tiny(merges: [String], extra: [(String, Tokenizer.TokenType)] = [],
                     pre: PreTokenizer = .gpt2, skipResults: Set<String> = []) throws -> Tokenizer {
        var tokens = ByteLevel.scalarForByte.map { String($0) }
        for merge in merges {
            let merged = merge.replacingOccurrences(of: " ", with: "")
            if !tokens.contains(merged) && !skipResults.contains(merged) { tokens.append(merged) }
        }
        var types = [Tokenizer.TokenType](repeating: .normal, count: tokens.count)
        for (text, type) in extra {
            tokens.append(text)
            types.append(type)
        }
        return try Tokenizer(tokens: tokens, merges: merges, types: types, preTokenizer: pre)
    }

    static func texts(_ t: Tokenizer, _ ids: [Int32]) -> [String] { ids.map { t.tokenText($0)! } }

    // MARK: byte-level alphabet

    @Test func byteAlphabet() {
        #expect(ByteLevel.scalarForByte[0x20] == "\u{120}")  // space is Ġ
        #expect(ByteLevel.scalarForByte[0x0A] == "\u{10A}")  // newline is Ċ
        #expect(ByteLevel.scalarForByte[0x00] == "\u{100}")
        #expect(ByteLevel.scalarForByte[0x41] == "A")
        #expect(ByteLevel.scalarForByte[0xAD] == "\u{143}")  // the last of the 68 remapped bytes
        #expect(Set(ByteLevel.scalarForByte).count == 256)
        for byte in 0 ..< 256 {
            #expect(ByteLevel.byte(for: ByteLevel.scalarForByte[byte]) == UInt8(byte))
        }
        #expect(ByteLevel.encode(Array(" héllo\n".utf8)) == "ĠhÃ©lloĊ")
        var bytes: [UInt8] = []
        ByteLevel.decode("ĠhÃ©lloĊ", into: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == " héllo\n")
    }

    // MARK: BPE

    @Test func mergesApplyInRankOrder() throws {
        let t = try Self.tiny(merges: ["a b", "b c", "ab c"])
        #expect(Self.texts(t, t.encode("abc")) == ["abc"])  // a+b first (rank 0), then ab+c
        let u = try Self.tiny(merges: ["b c", "a b", "a bc"])
        #expect(Self.texts(u, u.encode("abc")) == ["abc"])  // b+c first, then a+bc
        let v = try Self.tiny(merges: ["b c", "a b", "ab c"])
        #expect(Self.texts(v, v.encode("abc")) == ["a", "bc"])  // b+c wins; "a bc" is not a merge
    }

    @Test func equalRanksMergeLeftmostFirst() throws {
        let t = try Self.tiny(merges: ["a a"])
        #expect(Self.texts(t, t.encode("aaa")) == ["aa", "a"])
        #expect(Self.texts(t, t.encode("aaaaa")) == ["aa", "aa", "a"])
        let u = try Self.tiny(merges: ["a a", "aa aa"])
        #expect(Self.texts(u, u.encode("aaaaaaa")) == ["aaaa", "aa", "a"])
    }

    @Test func spacesAndUnicodeGoThroughTheByteAlphabet() throws {
        let t = try Self.tiny(merges: ["Ġ h", "Ġh i", "Ã ©"])
        #expect(Self.texts(t, t.encode("hi hi")) == ["h", "i", "Ġhi"])
        #expect(Self.texts(t, t.encode("é")) == ["Ã©"])
        // Bytes without merges stay one token each: a 4-byte emoji is 4 tokens.
        #expect(t.encode("😀").count == 4)
        #expect(t.decode(t.encode("hi hi é 😀 \n\t")) == "hi hi é 😀 \n\t")
    }

    @Test func aMergeResultOutsideTheVocabularyFallsBackToItsBytes() throws {
        // "x y" merges into "xy", which is not a token: llama.cpp then emits the one-byte tokens of its text.
        let t = try Self.tiny(merges: ["x y", "xy z"], skipResults: ["xy"])
        #expect(Self.texts(t, t.encode("xyz")) == ["xyz"])  // the intermediate symbol still merges on
        #expect(Self.texts(t, t.encode("xy")) == ["x", "y"])
    }

    @Test func longWordsMergeLikeShortOnes() throws {
        let t = try Self.tiny(merges: ["Ġ Ġ", "ĠĠ ĠĠ", "ĠĠĠĠ ĠĠĠĠ"], pre: .gpt2)
        let ids = t.encode("x" + String(repeating: " ", count: 1001) + "y")
        // x, then a 1000-space word (the last space goes with y): 125 × 8, then " y" as two byte tokens.
        let texts = Self.texts(t, ids)
        #expect(texts.first == "x")
        #expect(texts.dropFirst().prefix(125).allSatisfy { $0 == String(repeating: "Ġ", count: 8) })
        #expect(Array(texts.suffix(2)) == ["Ġ", "y"])
        #expect(texts.count == 1 + 125 + 2)
    }

    // MARK: special tokens

    @Test func specialTokensAreCutOutLongestFirst() throws {
        let t = try Self.tiny(merges: ["h i"], extra: [("<s>", .control), ("<s>x", .control), ("<u>", .userDefined)])
        let s = t.id(of: "<s>")!, sx = t.id(of: "<s>x")!, u = t.id(of: "<u>")!
        #expect(t.encode("hi<s>xhi<s>") == [t.id(of: "hi")!, sx, t.id(of: "hi")!, s])
        #expect(t.encode("<s><s>") == [s, s])
        #expect(t.encode("<u>hi") == [u, t.id(of: "hi")!])
        // Without parseSpecial, control tokens are text; user-defined tokens are still recognised.
        let plain = t.encode("<s><u>", parseSpecial: false)
        #expect(!plain.contains(s) && plain.last == u && plain.count == 4)
        #expect(t.isSpecial(s) && t.isSpecial(u) && !t.isSpecial(t.id(of: "hi")!))
    }

    @Test func specialTokensDecodeOnRequest() throws {
        let t = try Self.tiny(merges: ["h i"], extra: [("<|im_end|>", .normal), ("<u>", .userDefined)])
        let end = t.id(of: "<|im_end|>")!
        // "<|im_end|>" is end-of-generation, so control, whatever the file says (as in llama.cpp).
        #expect(t.types[Int(end)] == .control && t.endOfGeneration.contains(end))
        let ids = t.encode("hi<|im_end|><u>")
        #expect(t.decode(ids) == "hi<u>")
        #expect(t.decode(ids, renderSpecial: true) == "hi<|im_end|><u>")
    }

    @Test func invalidUTF8DecodesToReplacementCharacters() throws {
        let t = try Self.tiny(merges: [])
        let euro = t.encode("€")  // three byte tokens
        #expect(euro.count == 3)
        #expect(t.decode(Array(euro.prefix(2))) == "\u{FFFD}")
        #expect(t.decode(euro + euro.prefix(1)) == "€\u{FFFD}")
        #expect(t.decode([-1, 99_999]) == "")
        #expect(t.tokenText(-1) == nil)
    }

    @Test func constructionErrors() {
        #expect(throws: TokenizerError.typeCountMismatch(tokens: 2, types: 1)) {
            try Tokenizer(tokens: ["a", "b"], merges: [], types: [.normal], preTokenizer: .gpt2)
        }
        #expect(throws: TokenizerError.tokenIdOutOfRange(key: "eos", id: 5, vocabularySize: 2)) {
            try Tokenizer(tokens: ["a", "b"], merges: [], preTokenizer: .gpt2, eos: 5)
        }
    }

    @Test func emptyText() throws {
        let t = try Self.tiny(merges: [])
        #expect(t.encode("") == [])
        #expect(t.decode([]) == "")
    }
}

/// Each pre-tokeniser rule, on words (the cuts llama.cpp's unicode.cpp makes).
@Suite struct PreTokenizerTests {
    @Test func gpt2() {
        let p = PreTokenizer.gpt2
        #expect(p.words("Hello world") == ["Hello", " world"])
        #expect(p.words("I'm here, they're") == ["I", "'m", " here", ",", " they", "'re"])
        #expect(p.words("we'll've'd's't") == ["we", "'ll", "'ve", "'d", "'s", "'t"])
        #expect(p.words("DON'T") == ["DON", "'", "T"])  // case-sensitive contractions
        #expect(p.words("abc 12345") == ["abc", " 12345"])
        #expect(p.words("a   b") == ["a", "  ", " b"])  // \s+(?!\S) leaves the last space to the word
        #expect(p.words("x  ") == ["x", "  "])
        #expect(p.words("a\n\nb") == ["a", "\n", "\n", "b"])
        #expect(p.words("hello!!!\n\nworld") == ["hello", "!!!", "\n", "\n", "world"])
        #expect(p.words("$foo\tbar") == ["$", "foo", "\t", "bar"])
        #expect(p.words("hi 😀😀.") == ["hi", " 😀😀.", ])
        #expect(p.words("e\u{301}t\u{e9}") == ["e", "\u{301}", "t\u{e9}"])  // combining marks are not letters
        #expect(p.words("你好 世界") == ["你好", " 世界"])
        #expect(p.words("x\u{3000}y") == ["x", "\u{3000}", "y"])  // ideographic space is whitespace
        #expect(p.words("") == [])
    }

    @Test func smollmSplitsEveryNumberScalarFirst() {
        let p = PreTokenizer.smollm
        #expect(p.words("abc 12345 def") == ["abc", " ", "1", "2", "3", "4", "5", " def"])
        #expect(p.words("x²y") == ["x", "²", "y"])  // \p{N} includes other numbers
        #expect(p.words("Ⅻ٣") == ["Ⅻ", "٣"])  // letter numbers, Arabic-Indic digits
        // The digit ends the piece, so the whitespace before it is not split by the lookahead.
        #expect(p.words("a   1") == ["a", "   ", "1"])
        #expect(p.words("a   b") == ["a", "  ", " b"])
        #expect(p.words("v1.2") == ["v", "1", ".", "2"])
        #expect(p.words("I'm 2") == ["I", "'m", " ", "2"])
    }

    @Test func qwen2() {
        let p = PreTokenizer.qwen2
        #expect(p.words("Hello world") == ["Hello", " world"])
        #expect(p.words("DON'T they'RE") == ["DON", "'T", " they", "'RE"])  // case-insensitive contractions
        #expect(p.words("abc 12345 def") == ["abc", " ", "1", "2", "3", "4", "5", " def"])
        #expect(p.words("a\n\nb") == ["a", "\n\n", "b"])  // \s*[\r\n]+
        #expect(p.words("a  \n  b") == ["a", "  \n", " ", " b"])
        #expect(p.words("hello!!!\n\nworld") == ["hello", "!!!\n\n", "world"])  // punctuation takes newlines
        #expect(p.words("$foo\tbar") == ["$foo", "\tbar"])  // one non-letter may lead a word
        #expect(p.words("  foo") == [" ", " foo"])
        #expect(p.words("ab ") == ["ab", " "])
        #expect(p.words("x  ") == ["x", "  "])
        #expect(p.words("\nfoo") == ["\n", "foo"])  // but not \r or \n
        #expect(p.words("3x") == ["3", "x"])
        #expect(p.words("hi 😀😀.") == ["hi", " 😀😀."])
        #expect(p.words("(a)") == ["(a", ")"])
    }

    /// llama.cpp's character tables are Unicode 15.1: a letter assigned later (Egyptian hieroglyph U+13460,
    /// Unicode 16) is unassigned there, so "other", while CJK extension I (U+2EBF0, 15.1) is a letter.
    @Test func scalarsNewerThanUnicode15Point1AreOther() {
        #expect(ScalarClass("\u{13460}").isOther && !ScalarClass("\u{13460}").isLetter)
        #expect(ScalarClass("\u{2EBF0}").isLetter)
        #expect(PreTokenizer.qwen2.words("\u{13460}.Y") == ["\u{13460}.", "Y"])
        #expect(PreTokenizer.qwen2.words("\u{2EBF0}.Y") == ["\u{2EBF0}", ".Y"])
    }
}

/// ChatML with the models' default system prompts.
@Suite struct ChatTemplateTests {
    static let qwenTemplate = #"""
        {%- else %}
            {%- if messages[0]['role'] == 'system' %}
                {{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}
            {%- else %}
                {{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}
            {%- endif %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
        """#

    @Test func readsTheDefaultSystemPrompt() throws {
        #expect(try ChatTemplate(template: Self.qwenTemplate).defaultSystemPrompt
                == "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")
        let smol = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
        #expect(try ChatTemplate(template: smol).defaultSystemPrompt
                == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        let plain = "{% for m in messages %}{{'<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n'}}{% endfor %}"
        #expect(try ChatTemplate(template: plain).defaultSystemPrompt == nil)
        #expect(throws: TokenizerError.self) { try ChatTemplate(template: "{{ bos_token }}[INST] {{ m }} [/INST]") }
    }

    @Test func apply() {
        let t = ChatTemplate(defaultSystemPrompt: "Be brief.")
        #expect(t.apply(messages: [.user("Hi")]) ==
                "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        #expect(t.apply(messages: [.system("S"), .user("Hi"), .assistant("Yo")], addGenerationPrompt: false) ==
                "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nYo<|im_end|>\n")
        #expect(ChatTemplate().apply(user: "Hi") == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }
}
