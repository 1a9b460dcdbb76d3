import Foundation

/// RULER's task templates and answer prefixes, verbatim from NVIDIA/RULER scripts/data/synthetic/constants.py
/// (Apache-2.0), split at `{context}`. RULER formats `template + answer_prefix` as one string and later cuts
/// the answer prefix off at its last occurrence; keeping the three parts apart gives the same texts.
enum RulerTemplates {
    static let needle = PromptTemplate(
        beforeContext: "Some special magic {type_needle_v} are hidden within the following text. Make sure to memorize it. I will quiz you about the {type_needle_v} afterwards.\n",
        afterContext: "\nWhat are all the special magic {type_needle_v} for {query} mentioned in the provided text?",
        answerPrefix: " The special magic {type_needle_v} for {query} mentioned in the provided text are")

    static let variableTracking = PromptTemplate(
        beforeContext: "Memorize and track the chain(s) of variable assignment hidden in the following text.\n\n",
        afterContext: "\nQuestion: Find all variables that are assigned the value {query} in the text above.",
        answerPrefix: " Answer: According to the chain(s) of variable assignment in the text above, {num_v} variables are assigned the value {query}, they are: ")

    static let commonWords = PromptTemplate(
        beforeContext: "Below is a numbered list of words. In these words, some appear more often than others. Memorize the ones that appear most often.\n",
        afterContext: "\nQuestion: What are the 10 most common words in the above list?",
        answerPrefix: " Answer: The top 10 words that appear most often in the list are:")

    static let frequentWords = PromptTemplate(
        beforeContext: "Read the following coded text and track the frequency of each coded word. Find the three most frequently appeared coded words. ",
        afterContext: "\nQuestion: Do not provide any explanation. Please ignore the dots '....'. What are the three most frequently appeared words in the above coded text?",
        answerPrefix: " Answer: According to the coded text above, the three most frequently appeared words are:")

    static let qa = PromptTemplate(
        beforeContext: "Answer the question based on the given documents. Only give me the answer and do not output any other words.\n\nThe following are given documents.\n\n",
        afterContext: "\n\nAnswer the question based on the given documents. Only give me the answer and do not output any other words.\n\nQuestion: {query}",
        answerPrefix: " Answer:")

    /// niah.py rewrites the template when one value is asked for (num_needle_q × num_needle_v = 1):
    /// "Some"→"A", "are all"→"is", "are"→"is", "answers"→"answer", in this order, on template and prefix.
    static func singular(_ template: PromptTemplate) -> PromptTemplate {
        func rewrite(_ text: String) -> String {
            [("Some", "A"), ("are all", "is"), ("are", "is"), ("answers", "answer")].reduce(text) {
                $0.replacingOccurrences(of: $1.0, with: $1.1)
            }
        }
        return PromptTemplate(beforeContext: rewrite(template.beforeContext), afterContext: rewrite(template.afterContext),
                              answerPrefix: rewrite(template.answerPrefix))
    }

    /// The noise haystack of niah and vt: one copy of this per line.
    static let noise = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again."
}
