import Kernels

/// Generates the prompts of one RULER task at one target length, fitted to the model's own tokens.
///
/// Length is counted as RULER counts it: the prompt (`context + query + answerPrefix`) plus the answer room
/// (`task.maxNewTokens`, RULER's tokens_to_generate) plus what the runner adds around the message
/// (`overheadTokens`, the chat template; RULER's model template is part of its counted input) must not exceed
/// `targetTokens`. Each sample's haystack is the largest that fits (HaystackFit), so prompts are as full as
/// RULER makes them; the tokenizer is called O(log n) times per sample.
public struct TaskGenerator: Sendable {
    public let task: RulerTask
    public let targetTokens: Int
    public let overheadTokens: Int
    public let seed: UInt64
    /// Tokens a sample's `context + query + answerPrefix` may use: targetTokens − overheadTokens − task.maxNewTokens.
    public let promptBudgetTokens: Int
    let countTokens: @Sendable (String) -> Int
    let builder: any SizedPrompt

    /// `countTokens` counts the tokens of a text in the model's tokenizer; `overheadTokens` = tokens the runner adds
    /// around the message (chat template). A sample's context+query+answerPrefix must then fit
    /// targetTokens − overheadTokens − task.maxNewTokens tokens, as full as RULER makes it.
    ///
    /// Throws `RulerTaskError.targetTooSmall` (with the minimum) when even the smallest haystack does not fit,
    /// and `.missingResource` when the committed word list or essay cannot be read.
    public init(task: RulerTask, targetTokens: Int, overheadTokens: Int, seed: UInt64,
                countTokens: @escaping @Sendable (String) -> Int) throws {
        guard targetTokens > 0 else { throw RulerTaskError.invalidArgument("targetTokens is \(targetTokens); it must be positive") }
        guard overheadTokens >= 0 else {
            throw RulerTaskError.invalidArgument("overheadTokens is \(overheadTokens); it must be 0 or more")
        }
        self.task = task
        self.targetTokens = targetTokens
        self.overheadTokens = overheadTokens
        self.seed = seed
        self.countTokens = countTokens
        promptBudgetTokens = targetTokens - overheadTokens - task.maxNewTokens
        builder = try Self.builder(for: task, targetTokens: targetTokens, budget: promptBudgetTokens, seed: seed,
                                   countTokens: countTokens)
        // Fail here, not at the first sample, when the target cannot hold the task at all.
        let smallest = builder.prompt(size: builder.minimumSize, seed: sampleSeed(0))
        let tokens = countTokens(smallest.countedText)
        if tokens > promptBudgetTokens { throw tooSmall(promptTokens: tokens) }
    }

    /// Sample `index` (deterministic in (task, targetTokens, seed, index); independent of other indices).
    public func sample(_ index: Int) throws -> TaskSample {
        guard index >= 0 else { throw RulerTaskError.invalidArgument("sample index \(index) is negative") }
        let fit = HaystackFit(budget: promptBudgetTokens, countTokens: countTokens)
        switch fit.largest(builder, seed: sampleSeed(index)) {
        case .fits(_, let parts, _):
            return TaskSample(task: task, index: index, targetTokens: targetTokens, context: parts.context,
                              query: parts.query, answerPrefix: parts.answerPrefix, references: parts.references)
        case .tooSmall(let minimumTokens):
            throw tooSmall(promptTokens: minimumTokens)
        case .dataExhausted(let maximumTokens):
            throw RulerTaskError.haystackTooShort(task: task, targetTokens: targetTokens,
                                                  maximumTokens: maximumTokens + overheadTokens + task.maxNewTokens,
                                                  resource: builder.sizeResource)
        }
    }

    /// The seed of sample `index`: a stream of (seed, task, targetTokens, index).
    func sampleSeed(_ index: Int) -> UInt64 {
        SeededGenerator.derive(seed, [stableStreamID(task.rawValue), UInt64(targetTokens), UInt64(index)])
    }

    private func tooSmall(promptTokens: Int) -> RulerTaskError {
        .targetTooSmall(task: task, targetTokens: targetTokens, minimumTokens: promptTokens + overheadTokens + task.maxNewTokens)
    }

    /// The builder of each task family with its RULER parameters.
    static func builder(for task: RulerTask, targetTokens: Int, budget: Int, seed: UInt64,
                        countTokens: @escaping @Sendable (String) -> Int) throws -> any SizedPrompt {
        switch task.family {
        case .needle(let parameters):
            let essay = parameters.haystack == .essay ? try TaskResources.essay.get() : nil
            return NeedlePrompt(parameters: parameters, words: try TaskResources.words.get(), essay: essay)
        case .variableTracking(let parameters):
            // RULER's one-shot example is fitted once to 500 tokens (variable_tracking.py main()).
            let example = VariableTrackingPrompt(parameters: parameters, exampleNoiseLines: 0, isExample: true)
            let exampleSeed = SeededGenerator.derive(seed, [stableStreamID(task.rawValue), 0x1C1])
            let fit = HaystackFit(budget: VariableTrackingPrompt.exampleTokens, countTokens: countTokens)
            guard case .fits(let lines, _, _) = fit.largest(example, seed: exampleSeed) else {
                throw RulerTaskError.invalidArgument("vt: the one-shot example does not fit in \(VariableTrackingPrompt.exampleTokens) tokens with this tokenizer")
            }
            return VariableTrackingPrompt(parameters: parameters, exampleNoiseLines: lines, isExample: false)
        case .commonWords(let parameters):
            return CommonWordsPrompt(parameters: parameters, words: try TaskResources.words.get(),
                                     shortTarget: targetTokens < 4096)
        case .frequentWords(let parameters):
            return FrequentWordsPrompt(parameters: parameters,
                                       vocabularySize: max(5, budget / parameters.tokensPerVocabularyWord))
        case .qa(let kind):
            return QAPrompt(kind: kind, words: try TaskResources.words.get(),
                            distractors: try TaskResources.essay.get().paragraphs)
        }
    }
}
