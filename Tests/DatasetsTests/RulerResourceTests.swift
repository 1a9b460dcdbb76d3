import Testing
@testable import Datasets

@Suite struct RulerResourceTests {
    @Test func wordListIsSortedLowercaseBaseWords() throws {
        let words = try TaskResources.words.get()
        #expect(words.count == 17_084)
        #expect(words == words.sorted() && Set(words).count == words.count)
        #expect(words.allSatisfy { (4...8).contains($0.count) && $0.allSatisfy { $0.isASCII && $0.isLowercase } })
    }

    @Test func essayIsLongEnoughAndSplitsIntoSentences() throws {
        let essay = try TaskResources.essay.get()
        #expect(essay.words.count > 20_000, "≥ 24K tokens of a real tokenizer")
        #expect(essay.words.prefix(3) == ["GNU", "GENERAL", "PUBLIC"])
        let starts = essay.sentenceStarts(words: essay.words.count)
        #expect(starts.count > 500 && starts.first == 0 && starts.last == essay.words.count)
        #expect(essay.sentenceStarts(words: 2 * essay.words.count).count > 2 * starts.count - 3, "the text repeats")
        #expect(essay.paragraphs.count > 100)
        #expect(essay.paragraphs.dropLast().allSatisfy { (80...200).contains($0.split(separator: " ").count) })
    }

    @Test func sentenceEndsLikePunkt() {
        #expect(EssayText.endsSentence("changed.", next: "The"))
        #expect(EssayText.endsSentence("License\".", next: "\"Copyright\""))
        #expect(EssayText.endsSentence("it?", next: "4."))
        #expect(!EssayText.endsSentence("e.g.", next: "the"))
        #expect(!EssayText.endsSentence("Inc.,", next: "51"))
        #expect(!EssayText.endsSentence("section", next: "The"))
    }
}
