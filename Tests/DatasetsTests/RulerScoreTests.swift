import Testing
@testable import Datasets

/// Cases computed by hand from RULER's scripts/eval/synthetic/constants.py.
@Suite struct RulerScoreTests {
    @Test func stringMatchAllGivesPartialCredit() {
        #expect(RulerScore.stringMatchAll(prediction: "The numbers are 123 and 456.", references: ["123", "456", "789"]) == 2.0 / 3)
        #expect(RulerScore.stringMatchAll(prediction: "123 456 789", references: ["123", "456", "789"]) == 1)
        #expect(RulerScore.stringMatchAll(prediction: "none of them", references: ["123", "456"]) == 0)
    }

    @Test func stringMatchPartNeedsOneReference() {
        #expect(RulerScore.stringMatchPart(prediction: "It was Velvet Harborson.", references: ["Velvet Harborson", "Harborson"]) == 1)
        #expect(RulerScore.stringMatchPart(prediction: "Answer: 456", references: ["123", "456"]) == 1)
        #expect(RulerScore.stringMatchPart(prediction: "Answer: 789", references: ["123", "456"]) == 0)
    }

    @Test func matchingIsCaseInsensitiveSubstringContainment() {
        #expect(RulerScore.stringMatchAll(prediction: "ANSWER: VELVET, harbor", references: ["velvet", "Harbor"]) == 1)
        // Python's `r in pred`: no word boundaries, so a reference inside a longer number counts.
        #expect(RulerScore.stringMatchAll(prediction: "1234567", references: ["12345"]) == 1)
        #expect(RulerScore.stringMatchPart(prediction: "Quenbyford", references: ["quenby"]) == 1)
    }

    @Test func emptyPredictionAndReferences() {
        #expect(RulerScore.stringMatchAll(prediction: "", references: ["a"]) == 0)
        #expect(RulerScore.stringMatchPart(prediction: "", references: ["a"]) == 0)
        #expect(RulerScore.stringMatchAll(prediction: "anything", references: []) == 0)
        #expect(RulerScore.stringMatchPart(prediction: "anything", references: []) == 0)
    }

    @Test func scoreCleansThePredictionFirst() {
        #expect(RulerScore.postprocess("  \n a\tb\u{1}c \n ") == "a\nb\nc")
        #expect(RulerScore.postprocess("\u{0}\u{1F}") == "")
        #expect(RulerScore.score(.stringMatchAll, prediction: " 1. Apple\t2. pear\n", references: ["apple", "PEAR", "plum"]) == 2.0 / 3)
        #expect(RulerScore.score(.stringMatchPart, prediction: "\tPlum\n", references: ["apple", "plum"]) == 1)
        #expect(RulerScore.score(.stringMatchAll, prediction: "a\tb", references: ["a\nb"]) == 1)
    }
}
