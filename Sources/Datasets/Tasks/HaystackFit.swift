/// A task's prompt as a function of its haystack size (sentences, noise lines, listed words, coded words
/// or documents): the generator searches the size, RULER's `num_haystack` / `num_noises` / `num_words` /
/// `num_docs`.
protocol SizedPrompt: Sendable {
    /// The smallest size at which the task is well formed (e.g. one noise line per needle to insert at).
    var minimumSize: Int { get }
    /// The largest size the offline data supports; nil when the haystack repeats without limit.
    var maximumSize: Int? { get }
    /// The resource that bounds `maximumSize`, for the error when it runs out.
    var sizeResource: String { get }
    /// The prompt of `size` units: a pure function of (size, seed). Draws that do not depend on the size
    /// (needles, questions, answers) come first, so every size the search tries shows the same needles.
    func prompt(size: Int, seed: UInt64) -> PromptParts
}

extension SizedPrompt {
    var maximumSize: Int? { nil }
    var sizeResource: String { "the haystack" }
}

/// The largest haystack whose prompt fits a token budget, found with O(log n) token counts.
///
/// RULER binary-searches the haystack size so that `tokens(input + answer_prefix) + tokens_to_generate`
/// stays within max_seq_length (niah.py, variable_tracking.py, common_words_extraction.py, qa.py). Here the
/// search is per sample: two probes give tokens per unit, a bracket around the estimate is confirmed, and
/// bisection finishes; only sizes that were counted and fit are returned.
struct HaystackFit {
    /// Tokens the prompt may use (RULER's max_seq_length − tokens_to_generate, less chat-template overhead).
    let budget: Int
    let countTokens: @Sendable (String) -> Int

    enum Outcome {
        case fits(size: Int, parts: PromptParts, tokens: Int)
        /// The smallest prompt needs `minimumTokens` (> budget).
        case tooSmall(minimumTokens: Int)
        /// The largest prompt the data supports fits with room left; it uses `maximumTokens`.
        case dataExhausted(maximumTokens: Int)
    }

    func largest(_ builder: any SizedPrompt, seed: UInt64) -> Outcome {
        let cap = builder.maximumSize ?? Int.max
        let lo = builder.minimumSize
        let first = builder.prompt(size: lo, seed: seed)
        let firstTokens = countTokens(first.countedText)
        guard firstTokens <= budget else { return .tooSmall(minimumTokens: firstTokens) }
        guard lo < cap else { return .dataExhausted(maximumTokens: firstTokens) }

        var good = (size: lo, parts: first, tokens: firstTokens)
        var bad: Int? = nil
        // Returns true when `size` fits; keeps the largest fitting and smallest failing size.
        func probe(_ size: Int) -> Bool {
            let parts = builder.prompt(size: size, seed: seed)
            let tokens = countTokens(parts.countedText)
            if tokens <= budget {
                if size > good.size { good = (size, parts, tokens) }
                return true
            }
            if bad.map({ size < $0 }) ?? true { bad = size }
            return false
        }

        // Secant estimate of the size that fills the budget, from the minimum and a second probe.
        let second = min(cap, lo + max(16, lo))
        if probe(second) {
            let slope = Double(good.tokens - firstTokens) / Double(second - lo)
            let estimate = slope > 0 ? Double(second) + Double(budget - good.tokens) / slope : Double(second) * 2
            // Confirm a bracket [0.97, 1.03] × estimate, widening upwards while it still fits.
            var upper = Double(max(estimate * 1.03, Double(second + 1)))
            while bad == nil {
                let size = Int(min(upper.rounded(.up), Double(cap)))
                if probe(size), size == cap { return .dataExhausted(maximumTokens: good.tokens) }
                upper *= 1.5
            }
            let lower = Int(estimate * 0.97)
            if lower > good.size, let b = bad, lower < b { _ = probe(lower) }
        }
        while let b = bad, b - good.size > 1 {
            _ = probe(good.size + (b - good.size) / 2)
        }
        return .fits(size: good.size, parts: good.parts, tokens: good.tokens)
    }
}
