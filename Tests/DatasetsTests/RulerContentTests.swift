import Foundation
import Testing
@testable import Datasets

/// The answers can be recovered from the prompt by brute force, as a perfect reader would.
@Suite struct RulerContentTests {
    static let needleTasks: [RulerTask] = [.niahSingle1, .niahSingle2, .niahSingle3, .niahMultikey1, .niahMultikey2,
                                            .niahMultikey3, .niahMultivalue, .niahMultiquery]

    @Test(arguments: needleTasks)
    func needleValuesSitNextToTheQueriedKeys(task: RulerTask) throws {
        let regex = try Regex(#"One of the special magic (numbers|uuids) for (\S+) is: (\S+)\."#)
        for target in [1024, 4096] {
            let sample = try RulerFixture.generator(task, target).sample(1)
            var valuesByKey: [String: [String]] = [:]
            for match in sample.context.matches(of: regex) {
                let key = String(match.output[2].substring!), value = String(match.output[3].substring!)
                valuesByKey[key, default: []].append(value)
            }
            let asked = valuesByKey.keys.filter { sample.query.contains(" \($0) ") || sample.query.contains(" \($0),") }
            #expect(Set(asked.flatMap { valuesByKey[$0]! }) == Set(sample.references), "\(task.rawValue) @\(target)")
            #expect(Set(sample.references).count == sample.references.count)
            #expect(sample.answerPrefix.contains(asked.first ?? "missing"))
        }
    }

    @Test func needleTasksHaveRulersShapes() throws {
        func sample(_ task: RulerTask) throws -> TaskSample { try RulerFixture.generator(task, 4096).sample(0) }
        let noise = try sample(.niahSingle1)
        #expect(noise.context.hasPrefix("A special magic number is hidden within the following text. Make sure to memorize it. I will quiz you about the number afterwards.\nThe grass is green. The sky is blue."))
        #expect(noise.query.hasPrefix("What is the special magic number for ") && noise.query.hasSuffix(" mentioned in the provided text?"))
        #expect(noise.answerPrefix.hasPrefix(" The special magic number for ") && noise.answerPrefix.hasSuffix(" mentioned in the provided text is"))
        #expect(noise.references.count == 1 && noise.references[0].count == 7 && Int(noise.references[0]) != nil)
        #expect(noise.context.components(separatedBy: "One of the special magic numbers for").count == 2)

        let uuid = try sample(.niahSingle3)
        #expect(uuid.context.contains("GNU") && uuid.query.contains("special magic uuid for"))
        #expect(uuid.references[0].range(of: #"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"#, options: .regularExpression) != nil)

        let multikey = try sample(.niahMultikey1)
        #expect(multikey.context.components(separatedBy: "One of the special magic numbers for").count == 5)
        let distractors = try sample(.niahMultikey2)
        #expect(distractors.context.components(separatedBy: "One of the special magic numbers for").count > 50)
        let uuidKeys = try sample(.niahMultikey3)
        #expect(uuidKeys.query.range(of: #"for [0-9a-f-]{36} mentioned"#, options: .regularExpression) != nil)

        let multivalue = try sample(.niahMultivalue)
        #expect(multivalue.context.hasPrefix("Some special magic numbers are hidden"))
        #expect(multivalue.query.hasPrefix("What are all the special magic numbers for ") && multivalue.references.count == 4)
        #expect(multivalue.answerPrefix.hasSuffix("mentioned in the provided text are"))
        let multiquery = try sample(.niahMultiquery)
        #expect(multiquery.references.count == 4 && multiquery.query.contains(", and "))
    }

    @Test func variableChainResolvesToTheReferences() throws {
        for target in [1024, 4096] {
            let sample = try RulerFixture.generator(.vt, target).sample(2)
            let instruction = "Memorize and track the chain(s) of variable assignment hidden in the following text.\n\n"
            #expect(sample.context.hasPrefix(instruction) && sample.context.components(separatedBy: instruction).count == 3,
                    "one-shot example, then the task")
            let main = RulerFixture.after(instruction, in: sample.context)
            var assignment: [String: String] = [:]
            for line in main.split(separator: "\n") where line.hasPrefix("VAR ") {
                let sides = line.components(separatedBy: " = ")
                assignment[String(sides[0].dropFirst(4))] = sides[1].trimmingCharacters(in: .whitespaces)
            }
            func resolve(_ name: String) -> String? {
                var value = assignment[name], hops = 0
                while let v = value, v.hasPrefix("VAR "), hops < 10 { value = assignment[String(v.dropFirst(4))]; hops += 1 }
                return value
            }
            let value = try #require(sample.query.firstMatch(of: try Regex(#"value (\d{5}) in"#))?.output[1].substring)
            let holders = assignment.keys.filter { resolve($0) == String(value) }
            #expect(Set(holders) == Set(sample.references) && sample.references.count == 5)
            #expect(sample.references.allSatisfy { $0.count == 5 && $0.allSatisfy(\.isUppercase) })
            #expect(sample.answerPrefix == " Answer: According to the chain(s) of variable assignment in the text above, 5 variables are assigned the value \(value), they are: ")
            // The one-shot example is fitted to RULER's 500 tokens, then followed by its 3-letter answer.
            let example = String(sample.context[..<sample.context.range(of: instruction, options: .backwards)!.lowerBound])
            #expect(wordTokens(example) <= 500 + 10 && wordTokens(example) > 400)
            #expect(example.range(of: #"they are:  [A-Z]{3}( [A-Z]{3}){4}\n\n$"#, options: .regularExpression) != nil)
        }
    }

    @Test func commonWordsAreTheMostFrequentOfTheList() throws {
        for (target, common, uncommon) in [(1024, 6, 1), (4096, 30, 3)] {
            let sample = try RulerFixture.generator(.cwe, target).sample(0)
            let header = "Memorize the ones that appear most often.\n"
            let list = RulerFixture.after(header, in: sample.context)
            let pieces = list.split(whereSeparator: \.isWhitespace).map(String.init)
            #expect(pieces.count % 2 == 0)
            let numbers = stride(from: 0, to: pieces.count, by: 2).map { pieces[$0] }
            #expect(numbers == (1...(pieces.count / 2)).map { "\($0)." }, "entries numbered 1, 2, 3, …")
            let counts = RulerFixture.frequencies(stride(from: 1, to: pieces.count, by: 2).map { pieces[$0] })
            let ranked = counts.sorted { $0.value > $1.value }
            #expect(Set(ranked.prefix(10).map(\.key)) == Set(sample.references) && sample.references.count == 10)
            #expect(ranked[9].value == common && ranked[10].value == uncommon, "@\(target)")
            #expect(sample.query == "Question: What are the 10 most common words in the above list?")
            #expect(sample.context.hasPrefix("Below is a numbered list of words.") && sample.context.contains(" Answer: The top 10 words that appear most often in the list are: 1. "))
        }
    }

    @Test func frequentWordsAreTheTopThreeAfterTheDots() throws {
        for target in [1024, 4096] {
            let sample = try RulerFixture.generator(.fwe, target).sample(5)
            let text = RulerFixture.after("Find the three most frequently appeared coded words. ", in: sample.context)
            let counts = RulerFixture.frequencies(text.split(whereSeparator: \.isWhitespace).map(String.init))
            let ranked = counts.sorted { $0.value > $1.value }
            #expect(ranked[0].key == "...")
            #expect(ranked[1...3].map(\.key) == sample.references, "ranks 2–4 in order")
            #expect(ranked[3].value > ranked[4].value)
            #expect(sample.references.allSatisfy { $0.count == 6 && $0.allSatisfy(\.isLowercase) })
            // Zipf with α = 2: rank k occurs ⌊N k⁻² / ζ(2)⌋ times, so rank 2 ≈ rank 1 / 4.
            #expect(abs(Double(ranked[1].value) / Double(ranked[0].value) - 0.25) < 0.02)
        }
    }

    @Test(arguments: [RulerTask.qa1, .qa2])
    func qaAnswerNeedsTheGoldDocuments(task: RulerTask) throws {
        for target in [1024, 4096] {
            let sample = try RulerFixture.generator(task, target).sample(3)
            #expect(sample.context.hasPrefix("Answer the question based on the given documents. Only give me the answer and do not output any other words.\n\nThe following are given documents.\n\nDocument 1:\n"))
            #expect(sample.query.hasPrefix("Answer the question based on the given documents.") && sample.query.contains("\n\nQuestion: "))
            #expect(sample.answerPrefix == " Answer:")
            // The header ends in a blank line, so part 0 is the header and part i is "i:\n<document i>".
            let parts = sample.context.components(separatedBy: "\n\nDocument ").dropFirst()
            let documents = parts.enumerated().map { i, part -> String in
                #expect(part.hasPrefix("\(i + 1):\n"), "documents numbered in order: \(part.prefix(40))")
                return String(part.split(separator: "\n", maxSplits: 1).last ?? "")
            }
            #expect(documents.count > (target == 1024 ? 2 : 12), "gold documents among distractors")
            let village = try #require(sample.query.firstMatch(of: try Regex(#"village of (\w+)"#))?.output[1].substring)
            let answer = try #require(sample.references.first)
            let villageDocs = documents.filter { $0.contains("\(village) is a small village") }
            #expect(villageDocs.count == 1)
            let answerDocs = documents.filter { $0.contains(answer) }
            #expect(!answerDocs.isEmpty)
            if task == .qa2 {
                // The answer is in the founder's document, which does not name the village: two hops.
                let founder = try #require(villageDocs[0].firstMatch(of: try Regex(#"by ([A-Z]\w+ [A-Z]\w+), who"#))?.output[1].substring)
                #expect(answerDocs.contains { $0.hasPrefix("\(founder) was a ") && !$0.contains(String(village)) })
                #expect(!villageDocs[0].contains(answer))
            } else {
                #expect(villageDocs[0].contains(answer))
            }
        }
    }
}
