import Foundation

/// One chat turn.
public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
    public static func system(_ content: String) -> ChatMessage { .init(role: "system", content: content) }
    public static func user(_ content: String) -> ChatMessage { .init(role: "user", content: content) }
    public static func assistant(_ content: String) -> ChatMessage { .init(role: "assistant", content: content) }
}

/// ChatML, the template both models use: `<|im_start|>role\ncontent<|im_end|>\n` per message, then
/// `<|im_start|>assistant\n` to prompt a reply.
///
/// Both models' Jinja templates add a default system message when the conversation does not start with one
/// (SmolLM2: "You are a helpful AI assistant named SmolLM, trained by Hugging Face"; Qwen2.5: "You are Qwen,
/// created by Alibaba Cloud. You are a helpful assistant."). `init(template:)` reads that default out of the
/// template text instead of running Jinja; roles other than system/user/assistant (Qwen's tool messages) are
/// written as plain ChatML turns.
public struct ChatTemplate: Sendable, Equatable {
    /// Added as the first message when the conversation does not start with a system message; nil adds none.
    public var defaultSystemPrompt: String?

    public init(defaultSystemPrompt: String? = nil) {
        self.defaultSystemPrompt = defaultSystemPrompt
    }

    /// Recognises a ChatML Jinja template and its default system prompt: the text between a literal
    /// `<|im_start|>system\n` and `<|im_end|>` in the template (a system turn built from messages[0] has a quote
    /// right after the newline instead, and is not a default).
    public init(template: String) throws(TokenizerError) {
        guard template.contains("<|im_start|>"), template.contains("<|im_end|>") else {
            throw .unsupportedChatTemplate("no <|im_start|> … <|im_end|> turns (not ChatML)")
        }
        var found: String? = nil
        var rest = Substring(template)
        let head = "<|im_start|>system"
        while found == nil, let start = rest.range(of: head) {
            var after = rest[start.upperBound...]
            rest = after
            // The newline is either a real one or Jinja's escaped "\n" inside a string literal.
            if after.hasPrefix("\\n") { after = after.dropFirst(2) } else if after.hasPrefix("\n") { after = after.dropFirst() } else { continue }
            guard !after.hasPrefix("'"), !after.hasPrefix("\""), let end = after.range(of: "<|im_end|>") else { continue }
            let prompt = after[..<end.lowerBound]
            if prompt.contains("'") || prompt.contains("\"") || prompt.contains("{") { continue }
            found = prompt.replacingOccurrences(of: "\\n", with: "\n")
        }
        defaultSystemPrompt = found
    }

    /// The prompt text for `messages`; with `addGenerationPrompt`, ends with the opening of an assistant turn.
    public func apply(messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        var text = ""
        if let defaultSystemPrompt, let first = messages.first, first.role != "system" {
            text += "<|im_start|>system\n\(defaultSystemPrompt)<|im_end|>\n"
        }
        for message in messages {
            text += "<|im_start|>\(message.role)\n\(message.content)<|im_end|>\n"
        }
        if addGenerationPrompt { text += "<|im_start|>assistant\n" }
        return text
    }

    /// A single user message, wrapped.
    public func apply(user prompt: String) -> String { apply(messages: [.user(prompt)]) }
}
