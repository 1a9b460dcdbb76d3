import Foundation
import Testing
@testable import Datasets

@Suite struct RulerTaskTests {
    @Test func namesMetricsAndAnswerRoomFollowRuler() throws {
        #expect(RulerTask.allCases.map(\.rawValue) == [
            "niah_single_1", "niah_single_2", "niah_single_3", "niah_multikey_1", "niah_multikey_2", "niah_multikey_3",
            "niah_multivalue", "niah_multiquery", "vt", "cwe", "fwe", "qa_1", "qa_2"])
        // RULER's tokens_to_generate (scripts/data/synthetic/constants.py) and metric_fn (eval constants.py).
        let expected: [RulerTask: (Int, RulerMetric)] = [
            .niahSingle1: (128, .stringMatchAll), .niahMultiquery: (128, .stringMatchAll), .vt: (30, .stringMatchAll),
            .cwe: (120, .stringMatchAll), .fwe: (50, .stringMatchAll), .qa1: (32, .stringMatchPart), .qa2: (32, .stringMatchPart)]
        for (task, (tokens, metric)) in expected {
            #expect(task.maxNewTokens == tokens && task.metric == metric, "\(task.rawValue)")
        }
        #expect(try RulerTask.parse("qa_1") == .qa1)
        #expect(try RulerTask.parse("niah_multikey_3") == .niahMultikey3)
    }

    @Test func unknownTaskNameListsValidNames() {
        #expect(throws: RulerTaskError.unknownTask("niah_single_9")) { try RulerTask.parse("niah_single_9") }
        let text = RulerTaskError.unknownTask("nih").description
        #expect(text.contains("\"nih\"") && text.contains("niah_single_1") && text.contains("qa_2"))
    }

    @Test(arguments: RulerTask.allCases)
    func fitsTheBudgetAsFullAsPossible(task: RulerTask) throws {
        for target in [1024, 4096] {
            let generator = try RulerFixture.generator(task, target)
            #expect(generator.promptBudgetTokens == target - RulerFixture.overhead - task.maxNewTokens)
            for index in 0..<2 {
                let sample = try generator.sample(index)
                let tokens = wordTokens(sample.context + sample.query + sample.answerPrefix)
                #expect(tokens <= generator.promptBudgetTokens, "\(task.rawValue) @\(target): \(tokens) tokens")
                #expect(sample.task == task && sample.index == index && sample.targetTokens == target)
                #expect(!sample.references.isEmpty && !sample.query.isEmpty && !sample.answerPrefix.isEmpty)
                #expect(sample.message == sample.context + sample.query)

                // As full as RULER makes it: one more haystack unit would not fit.
                let fit = HaystackFit(budget: generator.promptBudgetTokens, countTokens: wordTokens)
                guard case .fits(let size, let parts, _) = fit.largest(generator.builder, seed: generator.sampleSeed(index)) else {
                    Issue.record("\(task.rawValue) @\(target) did not fit"); continue
                }
                #expect(parts.context == sample.context)
                let bigger = generator.builder.prompt(size: size + 1, seed: generator.sampleSeed(index))
                #expect(wordTokens(bigger.countedText) > generator.promptBudgetTokens, "\(task.rawValue) @\(target) size \(size)")
            }
        }
    }

    @Test func countsTokensLogarithmicallyOften() throws {
        let counter = CountingTokenizer()
        for (task, target) in [(RulerTask.niahSingle2, 4096), (.niahSingle1, 16384), (.cwe, 16384), (.qa2, 16384)] {
            let generator = try TaskGenerator(task: task, targetTokens: target, overheadTokens: 0, seed: 1, countTokens: counter.closure)
            counter.reset()
            let started = Date()
            _ = try generator.sample(0)
            #expect(counter.calls <= 24, "\(task.rawValue) @\(target): \(counter.calls) tokenizer calls")
            #expect(Date().timeIntervalSince(started) < 2, "\(task.rawValue) @\(target) took too long")
        }
    }

    @Test(arguments: RulerTask.allCases)
    func deterministicPerSeedAndIndex(task: RulerTask) throws {
        let a = try RulerFixture.generator(task, 1024, seed: 7)
        let b = try RulerFixture.generator(task, 1024, seed: 7)
        let first = try a.sample(3)
        _ = try b.sample(0)
        #expect(try b.sample(3) == first, "same seed and index must give the same sample, whatever came before")
        #expect(try a.sample(4) != first)
        #expect(try RulerFixture.generator(task, 1024, seed: 8).sample(3) != first)
        #expect(try a.sample(4).references != first.references)
    }

    @Test func tooSmallTargetNamesTheMinimum() throws {
        do {
            _ = try RulerFixture.generator(.niahSingle1, 100)
            Issue.record("a 100-token target cannot hold niah_single_1")
        } catch let RulerTaskError.targetTooSmall(task, target, minimum) {
            #expect(task == .niahSingle1 && target == 100 && minimum > 100 + 128)
            #expect(RulerTaskError.targetTooSmall(task: task, targetTokens: target, minimumTokens: minimum)
                .description.contains("at least \(minimum)"))
            // The minimum is exact for this counter (niah_single_1's smallest prompt has a fixed word count).
            _ = try RulerFixture.generator(.niahSingle1, minimum).sample(0)
            #expect(throws: RulerTaskError.self) { try RulerFixture.generator(.niahSingle1, minimum - 1) }
        }
        // vt needs room for RULER's 500-token one-shot example.
        #expect(throws: RulerTaskError.self) { try RulerFixture.generator(.vt, 500) }
        #expect(throws: RulerTaskError.self) { try RulerFixture.generator(.qa1, 0) }
        #expect(throws: RulerTaskError.self) {
            try TaskGenerator(task: .qa1, targetTokens: 1024, overheadTokens: -1, seed: 0, countTokens: wordTokens)
        }
        #expect(throws: RulerTaskError.self) { try RulerFixture.generator(.qa1, 1024).sample(-1) }
    }

    @Test func wordListRunningOutSaysWhatToChange() throws {
        let generator = try RulerFixture.generator(.cwe, 400_000)
        do {
            _ = try generator.sample(0)
            Issue.record("17,084 words cannot fill 400,000 tokens of cwe")
        } catch let RulerTaskError.haystackTooShort(task, target, maximum, resource) {
            #expect(task == .cwe && target == 400_000 && maximum < 400_000 && maximum > 50_000)
            #expect(resource.contains("task-words.txt"))
            let text = RulerTaskError.haystackTooShort(task: task, targetTokens: target, maximumTokens: maximum, resource: resource).description
            #expect(text.contains("lower targetTokens to \(maximum)"))
        }
    }
}
