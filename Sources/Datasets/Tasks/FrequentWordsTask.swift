import Foundation
import Kernels

/// fwe (freq_words_extraction.py): random 6-letter "coded words" whose counts follow a Zipf law,
/// count(rank k) = ⌊N · k^(−α) / ζ(α)⌋ over a vocabulary of budget / 50 words; the top-ranked word is
/// replaced by "..." (noise the question says to ignore) and the answer is ranks 2–4.
struct FrequentWordsPrompt: SizedPrompt {
    let parameters: FrequentWordsParameters
    let vocabularySize: Int

    var template: PromptTemplate { RulerTemplates.frequentWords }

    /// Sizes are RULER's `num_words` (N above). The smallest N at which ranks 2, 3, 4 each occur and strictly
    /// outnumber every lower rank, so the three answers are well defined.
    var minimumSize: Int {
        var n = 1
        while true {
            let c = counts(total: n, ranks: min(5, vocabularySize))
            if c.count < 5 || (c[3] >= 1 && c[1] > c[2] && c[2] > c[3] && c[3] > c[4]) { return n }
            n += 1
        }
    }

    /// ⌊N · k^(−α) / ζ(α)⌋ for k = 1 … ranks.
    func counts(total: Int, ranks: Int) -> [Int] {
        let z = Self.zeta(parameters.alpha)
        return (1...ranks).map { Int(Double(total) * pow(Double($0), -parameters.alpha) / z) }
    }

    /// Riemann ζ(s) for s > 1 by Euler–Maclaurin after 64 terms (error far below 1e-12 for s ≥ 1.5).
    static func zeta(_ s: Double) -> Double {
        let n = 64.0
        var sum = 0.0
        for k in 1..<64 { sum += pow(Double(k), -s) }
        return sum + pow(n, 1 - s) / (s - 1) + pow(n, -s) / 2 + s * pow(n, -s - 1) / 12
    }

    func prompt(size: Int, seed: UInt64) -> PromptParts {
        var rng = SeededGenerator(seed: seed)
        var seen = Set<String>(), vocabulary: [String] = []
        while vocabulary.count < vocabularySize {
            let word = rng.lowercaseLetters(parameters.codedWordLength)
            if seen.insert(word).inserted { vocabulary.append(word) }
        }
        vocabulary[0] = "..."
        var sampled: [String] = []
        for (word, count) in zip(vocabulary, counts(total: size, ranks: vocabularySize)) where count > 0 {
            sampled += repeatElement(word, count: count)
        }
        rng.shuffle(&sampled)
        return template.parts(haystack: sampled.joined(separator: " "), values: [:], references: Array(vocabulary[1..<4]))
    }
}
