import Foundation
@testable import Datasets

/// A stand-in for a model tokenizer: ⌈1.3 × whitespace-separated pieces⌉, so the tests need no model.
func wordTokens(_ text: String) -> Int {
    Int((Double(text.split(whereSeparator: \.isWhitespace).count) * 1.3).rounded(.up))
}

/// `wordTokens` that also counts how often it is called.
final class CountingTokenizer: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var calls: Int { lock.withLock { count } }
    func reset() { lock.withLock { count = 0 } }
    var closure: @Sendable (String) -> Int {
        { [self] text in
            lock.withLock { count += 1 }
            return wordTokens(text)
        }
    }
}

enum RulerFixture {
    static let overhead = 12
    static func generator(_ task: RulerTask, _ target: Int, seed: UInt64 = 42) throws -> TaskGenerator {
        try TaskGenerator(task: task, targetTokens: target, overheadTokens: overhead, seed: seed, countTokens: wordTokens)
    }

    /// The text after the last occurrence of `marker` (the main prompt after RULER's one-shot example).
    static func after(_ marker: String, in text: String) -> String {
        guard let range = text.range(of: marker, options: .backwards) else { return "" }
        return String(text[range.upperBound...])
    }

    /// Occurrences of each item.
    static func frequencies(_ items: [String]) -> [String: Int] {
        items.reduce(into: [:]) { $0[$1, default: 0] += 1 }
    }
}
