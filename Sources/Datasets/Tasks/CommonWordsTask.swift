import Kernels

/// cwe (common_words_extraction.py): a numbered list "1. word 2. word …" in which `commonCount` words appear
/// `commonFrequency` times and all others `uncommonFrequency` times; the answer is the common words. A one-shot
/// example (its own list, then the answer "1. w 2. w …") comes first, as in RULER.
struct CommonWordsPrompt: SizedPrompt {
    let parameters: CommonWordsParameters
    /// task-words.txt (RULER: wonderwords nouns, adjectives and verbs, then english_words.json).
    let words: [String]
    /// RULER's `max_seq_length < 4096` branch: 6 and 1 repetitions, and a 20-word example with 3 and 1.
    let shortTarget: Bool

    /// Sizes are distinct words; at least one uncommon word, so that "most common" means something.
    var minimumSize: Int { parameters.commonCount + 1 }
    var maximumSize: Int? { words.count }
    var sizeResource: String { "Sources/Datasets/Resources/task-words.txt" }

    var template: PromptTemplate { RulerTemplates.commonWords }

    /// get_example: `distinct` words drawn without replacement, the first `commonCount` repeated `common` times,
    /// the rest `uncommon` times, shuffled and numbered.
    func list(distinct: Int, common: Int, uncommon: Int, _ rng: inout SeededGenerator) -> (text: String, common: [String]) {
        let chosen = rng.sample(distinct, below: words.count).map { words[$0] }
        let commonWords = Array(chosen.prefix(parameters.commonCount))
        let uncommonWords = Array(chosen.dropFirst(parameters.commonCount))
        // Python's `list * n` repeats the whole list n times.
        var entries: [String] = []
        entries.reserveCapacity(commonWords.count * common + uncommonWords.count * uncommon)
        for _ in 0..<common { entries += commonWords }
        for _ in 0..<uncommon { entries += uncommonWords }
        rng.shuffle(&entries)
        return (numbered(entries), commonWords)
    }

    func numbered(_ items: [String]) -> String {
        items.enumerated().map { "\($0.offset + 1). \($0.element)" }.joined(separator: " ")
    }

    func prompt(size: Int, seed: UInt64) -> PromptParts {
        var rng = SeededGenerator(seed: seed)
        let example = shortTarget ? (distinct: 20, common: 3, uncommon: 1) : (distinct: 40, common: 10, uncommon: 3)
        let shots = (0..<parameters.fewShotCount).map { _ -> String in
            let shot = list(distinct: example.distinct, common: example.common, uncommon: example.uncommon, &rng)
            return template.fullText(haystack: shot.text, values: [:]) + " " + numbered(shot.common)
        }
        let repeats = shortTarget ? (common: 6, uncommon: 1) : (common: parameters.commonFrequency, uncommon: parameters.uncommonFrequency)
        let main = list(distinct: size, common: repeats.common, uncommon: repeats.uncommon, &rng)
        var parts = template.parts(haystack: main.text, values: [:], references: main.common)
        parts.context = shots.joined(separator: "\n") + "\n" + parts.context
        return parts
    }
}
