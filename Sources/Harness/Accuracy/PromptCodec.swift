import Datasets
import Engine

/// How a task prompt becomes token ids and generated ids become text, for one model.
///
/// A RULER prompt is `messagePrefix + context | query + messageSuffix + answerPrefix`: the two halves are
/// encoded separately (`context` ids, then `query` ids) so that setup A and setup B feed exactly the same
/// ids and differ only in where the approximator starts. Encoding the halves apart can tokenise the boundary
/// differently from one joint encoding; the context ends in a newline in every RULER template, where
/// byte-level BPE pre-tokenisers split anyway.
public struct PromptCodec: Sendable {
    /// Token ids of a text, never with a BOS.
    public var encode: @Sendable (String) -> [Int]
    public var decode: @Sendable ([Int]) -> String
    /// Put before the context half when the model's file asks for a BOS.
    public var bos: Int?
    /// Chat-template text before the user message ("" without chat).
    public var messagePrefix: String
    /// Chat-template text after the user message, up to the assistant's turn ("" without chat).
    public var messageSuffix: String
    /// Tokens the model stops after (end of turn / sequence).
    public var stopTokens: Set<Int>

    public init(encode: @escaping @Sendable (String) -> [Int], decode: @escaping @Sendable ([Int]) -> String,
                bos: Int? = nil, messagePrefix: String = "", messageSuffix: String = "", stopTokens: Set<Int> = []) {
        self.encode = encode
        self.decode = decode
        self.bos = bos
        self.messagePrefix = messagePrefix
        self.messageSuffix = messageSuffix
        self.stopTokens = stopTokens
    }

    /// The model's tokenizer, with its ChatML template when `chat` (the default system prompt included, as
    /// llama.cpp's and transformers' templates add it).
    public init(tokenizer: Tokenizer, chat: Bool, stopTokens: Set<Int>) throws {
        var prefix = "", suffix = ""
        if chat {
            let marker = "\u{1}MESSAGE\u{1}"
            let parts = try tokenizer.chatTemplate().apply(user: marker).components(separatedBy: marker)
            precondition(parts.count == 2, "the chat template must contain the message once")
            (prefix, suffix) = (parts[0], parts[1])
        }
        // encode("") is [BOS] exactly when the file asks for one.
        let bos = tokenizer.encode("").first.map(Int.init)
        self.init(
            encode: { text in
                let ids = tokenizer.encode(text).map(Int.init)
                return bos != nil && ids.first == bos ? Array(ids.dropFirst()) : ids
            },
            decode: { ids in tokenizer.decode(ids.map(Int32.init)) },
            bos: bos, messagePrefix: prefix, messageSuffix: suffix, stopTokens: stopTokens)
    }

    /// The text of one prompt in its two halves, chat template included; the whole prompt is their
    /// concatenation (what another engine is fed to check an answer).
    public func promptTexts(_ prompt: TaskSample) -> (context: String, query: String) {
        (messagePrefix + prompt.context, prompt.query + messageSuffix + prompt.answerPrefix)
    }

    /// Token ids of one prompt: (context half, query half).
    public func promptIDs(_ prompt: TaskSample) -> (context: [Int], query: [Int]) {
        let texts = promptTexts(prompt)
        return ((bos.map { [$0] } ?? []) + encode(texts.context), encode(texts.query))
    }

    /// Tokens the template (and BOS) add around a message: the generators leave room for them.
    public var overheadTokens: Int {
        (bos == nil ? 0 : 1) + encode(messagePrefix).count + encode(messageSuffix).count
    }
}
