import Foundation

/// The committed offline data of the task generators (Sources/Datasets/Resources, written by
/// scripts/make_task_words.py), read once per process.
enum TaskResources {
    /// task-words.txt: 17,084 English base words (SCOWL via Debian's wamerican), sorted.
    static let words: Result<[String], RulerTaskError> = read("task-words.txt").map { text in
        text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
    }

    /// essay.txt (verbatim FSF licence texts) as RULER uses its essay haystack.
    static let essay: Result<EssayText, RulerTaskError> = read("essay.txt").map(EssayText.init)

    /// MAGICPIG_TASK_RESOURCES, when set, names a folder holding the files (a binary copied to another
    /// machine without its resource bundle); otherwise the bundle SwiftPM builds from Resources/.
    static func read(_ name: String) -> Result<String, RulerTaskError> {
        let folder: URL?
        if let override = ProcessInfo.processInfo.environment["MAGICPIG_TASK_RESOURCES"], !override.isEmpty {
            folder = URL(fileURLWithPath: override)
        } else {
            folder = Bundle.module.url(forResource: "Resources", withExtension: nil)
        }
        guard let url = folder?.appendingPathComponent(name),
              let data = FileManager.default.contents(atPath: url.path),
              let text = String(data: data, encoding: .utf8), !text.isEmpty
        else { return .failure(.missingResource(name)) }
        return .success(text)
    }
}

/// A natural-language text prepared the way RULER prepares its essays: niah.py collapses whitespace and
/// splits on spaces (`re.sub(r'\s+', " ", essay).split(" ")`), takes the first N words (repeating the text
/// when N exceeds it) and cuts them into sentences with NLTK's sent_tokenize. Sentence ends are found once
/// here, so a prompt of N words costs O(N) and no tokenizer calls.
struct EssayText: Sendable {
    let words: [String]
    /// `sentenceEnds[i]`: word i ends a sentence when word (i + 1) % count follows it.
    let sentenceEnds: [Bool]
    /// Paragraphs (blank-line separated) of 80–200 words, whitespace collapsed: the distractor documents of qa.
    let paragraphs: [String]

    static let minimumParagraphWords = 80
    static let targetParagraphWords = 120
    static let maximumParagraphWords = 200

    init(_ text: String) {
        let all = text.split(whereSeparator: { $0.isWhitespace }).map(String.init)
        words = all
        sentenceEnds = all.indices.map { EssayText.endsSentence(all[$0], next: all[($0 + 1) % all.count]) }

        // Short blocks (headings, list items) are merged with the next; long ones are cut after the first
        // sentence end past `targetParagraphWords` (at `maximumParagraphWords` at the latest), so documents
        // have the length of a SQuAD or HotpotQA paragraph (about 60-200 words).
        var merged: [String] = [], pending: [String] = []
        for block in text.components(separatedBy: "\n\n") {
            let blockWords = block.split(whereSeparator: { $0.isWhitespace }).map(String.init)
            for (i, word) in blockWords.enumerated() {
                pending.append(word)
                let next = i + 1 < blockWords.count ? blockWords[i + 1] : ""
                if pending.count >= EssayText.maximumParagraphWords
                    || (pending.count >= EssayText.targetParagraphWords && !next.isEmpty && EssayText.endsSentence(word, next: next)) {
                    merged.append(pending.joined(separator: " "))
                    pending = []
                }
            }
            if pending.count >= EssayText.minimumParagraphWords {
                merged.append(pending.joined(separator: " "))
                pending = []
            }
        }
        if !pending.isEmpty { merged.append(pending.joined(separator: " ")) }
        paragraphs = merged
    }

    /// A stand-in for NLTK's Punkt sentence splitter: a sentence ends at a word ending in . ! or ?
    /// (optionally followed by closing quotes or brackets) when the next word does not start with a
    /// lowercase letter, so "e.g. the" and "i.e., the" do not split.
    static func endsSentence(_ word: String, next: String) -> Bool {
        let core = word.reversed().drop { "\"')]".contains($0) }
        guard let last = core.first, ".!?".contains(last), core.count > 1 || last != "." else { return false }
        guard let first = next.first else { return true }
        return !first.isLowercase
    }

    /// Word `i` of the text repeated without end.
    func word(_ i: Int) -> String { words[i % words.count] }

    /// The first `count` words (repeated as needed) cut into sentences: the word index each sentence starts
    /// at, plus `count` as the end of the last one.
    func sentenceStarts(words count: Int) -> [Int] {
        guard count > 0 else { return [0] }
        var starts = [0]
        for i in 0..<(count - 1) where sentenceEnds[i % words.count] { starts.append(i + 1) }
        starts.append(count)
        return starts
    }

    /// Words `range` joined by single spaces.
    func text(_ range: Range<Int>) -> String {
        var out = ""
        out.reserveCapacity(range.count * 7)
        for i in range {
            if i > range.lowerBound { out += " " }
            out += word(i)
        }
        return out
    }
}
