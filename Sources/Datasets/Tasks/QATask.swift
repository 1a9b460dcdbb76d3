import Kernels

/// qa_1 / qa_2 (qa.py): "Document i:\n…" passages joined by blank lines, the gold document(s) among
/// distractors, and a question about the gold. Gold documents and questions are synthetic (QADocuments.swift);
/// distractors are paragraphs of essay.txt (RULER: other SQuAD/HotpotQA paragraphs), repeated when a target
/// needs more than there are, as RULER repeats its documents.
struct QAPrompt: SizedPrompt {
    let kind: QAKind
    let words: [String]
    let distractors: [String]

    var template: PromptTemplate { RulerTemplates.qa }

    var goldCount: Int { kind == .singleDocument ? 1 : 2 }

    /// Sizes are documents, gold included.
    var minimumSize: Int { goldCount }

    func prompt(size: Int, seed: UInt64) -> PromptParts {
        var rng = SeededGenerator(seed: seed)
        let facts = FictitiousFacts(words: words)
        let item = kind == .singleDocument ? facts.singleDocument(&rng) : facts.multiHop(&rng)
        var order = Array(distractors.indices)
        rng.shuffle(&order)
        var documents = item.documents
        for i in 0..<max(0, size - documents.count) { documents.append(distractors[order[i % order.count]]) }
        rng.shuffle(&documents)
        let haystack = documents.enumerated().map { "Document \($0.offset + 1):\n\($0.element)" }.joined(separator: "\n\n")
        return template.parts(haystack: haystack, values: ["query": item.question], references: item.answers)
    }
}
