import Foundation

/// One RULER prompt with its references.
///
/// The user message is `context + query`. `context` holds the instructions (and any one-shot example RULER
/// puts first) and the haystack, ending with the newline(s) that separate the haystack from the question;
/// `query` is the rest of RULER's template: the question, starting at its first visible character (for qa
/// the repeated instruction and "Question: …"). The runner wraps the message in the chat template and
/// appends `answerPrefix` after the assistant header, as RULER's call_api.py sends `input + answer_prefix`.
/// Setup B sends the query's tokens (and everything after them) through the approximator, so the split
/// matters. `answerPrefix` keeps RULER's leading space (and vt's trailing space).
public struct TaskSample: Sendable, Codable, Equatable {
    public var task: RulerTask
    public var index: Int
    public var targetTokens: Int
    public var context: String
    public var query: String
    public var answerPrefix: String
    /// The strings the metric looks for in the prediction (RULER's `outputs`).
    public var references: [String]

    public init(task: RulerTask, index: Int, targetTokens: Int, context: String, query: String,
                answerPrefix: String, references: [String]) {
        self.task = task
        self.index = index
        self.targetTokens = targetTokens
        self.context = context
        self.query = query
        self.answerPrefix = answerPrefix
        self.references = references
    }

    /// The user message: context followed by query.
    public var message: String { context + query }
}

/// A prompt before it is labelled with its task and index: what each task builder produces for one size.
struct PromptParts: Sendable {
    var context: String
    var query: String
    var answerPrefix: String
    var references: [String]

    /// The text whose tokens must fit the budget: RULER counts `input + answer_prefix`.
    var countedText: String { context + query + answerPrefix }
}

/// A RULER template split at its `{context}` placeholder. The part after the haystack is split again: its
/// leading newlines stay with the context, the rest is the query.
struct PromptTemplate: Sendable {
    var beforeContext: String
    var afterContext: String
    var answerPrefix: String

    /// Replaces `{name}` placeholders; the haystack is never passed through here, so text in it that
    /// looks like a placeholder stays as it is.
    static func fill(_ text: String, _ values: [String: String]) -> String {
        var out = text
        for (name, value) in values { out = out.replacingOccurrences(of: "{\(name)}", with: value) }
        return out
    }

    /// The prompt around `haystack` with the placeholders filled.
    func parts(haystack: String, values: [String: String], references: [String]) -> PromptParts {
        let after = Self.fill(afterContext, values)
        let separator = after.prefix { $0 == "\n" }
        return PromptParts(
            context: Self.fill(beforeContext, values) + haystack + separator,
            query: String(after.dropFirst(separator.count)),
            answerPrefix: Self.fill(answerPrefix, values),
            references: references)
    }

    /// The whole template text as RULER formats it (`template.format(...) + answer_prefix`), for the
    /// one-shot examples that RULER puts in front of vt and cwe prompts.
    func fullText(haystack: String, values: [String: String]) -> String {
        Self.fill(beforeContext, values) + haystack + Self.fill(afterContext, values) + Self.fill(answerPrefix, values)
    }
}
