import Kernels

/// niah_* (niah.py): needles "One of the special magic {values} for {key} is: {value}." hidden in a noise,
/// essay or needle haystack; the question asks for the values of `queryCount` keys.
struct NeedlePrompt: SizedPrompt {
    let parameters: NeedleParameters
    let words: [String]
    let essay: EssayText?

    /// niah.py DEPTHS: np.round(np.linspace(0, 100, 40)) — the depths (percent of sentences) a needle may sit at.
    static let depths: [Int] = (0..<40).map { Int((Double($0) * 100 / 39).rounded()) }

    var needleCount: Int { parameters.effectiveKeyCount * parameters.valueCount }

    /// Sizes are words of the essay or lines of the noise/needle haystack; RULER draws one distinct line per
    /// needle (random.sample(range(num_haystack), len(needles))).
    var minimumSize: Int { parameters.haystack == .essay ? 1 : needleCount }

    var isSingular: Bool { parameters.queryCount * parameters.valueCount == 1 }

    var template: PromptTemplate { isSingular ? RulerTemplates.singular(RulerTemplates.needle) : RulerTemplates.needle }

    /// The value noun in the template: "numbers"/"uuids", singular when one value is asked for. The needle
    /// sentence itself keeps the plural, as in niah.py.
    var templateValueWord: String {
        let word = parameters.values.rawValue
        return isSingular ? String(word.dropLast()) : word
    }

    func needle(key: String, value: String) -> String {
        "One of the special magic \(parameters.values.rawValue) for \(key) is: \(value)."
    }

    func randomItem(_ kind: NeedleItemKind, _ rng: inout SeededGenerator) -> String {
        switch kind {
        case .words: return "\(rng.element(of: words))-\(rng.element(of: words))"
        case .numbers: return rng.numberString(digits: 7)
        case .uuids: return rng.uuidString()
        }
    }

    func prompt(size: Int, seed: UInt64) -> PromptParts {
        var rng = SeededGenerator(seed: seed)
        // Keys are kept distinct (RULER may, rarely, repeat one, which makes its answer ambiguous).
        var keys: [String] = [], values: [[String]] = [], needles: [String] = []
        while keys.count < parameters.effectiveKeyCount {
            let key = randomItem(parameters.keys, &rng)
            if keys.contains(key) { continue }
            keys.append(key)
            let keyValues = (0..<parameters.valueCount).map { _ in randomItem(parameters.values, &rng) }
            values.append(keyValues)
            needles += keyValues.map { needle(key: key, value: $0) }
        }
        rng.shuffle(&needles)
        let asked = rng.sample(parameters.queryCount, below: keys.count)
        let queries = asked.map { keys[$0] }
        let answers = asked.flatMap { values[$0] }
        let query = queries.count > 1
            ? queries.dropLast().joined(separator: ", ") + ", and " + queries[queries.count - 1]
            : queries[0]

        let haystack: String
        switch parameters.haystack {
        case .essay: haystack = essayHaystack(words: size, needles: needles, &rng)
        case .noise: haystack = lineHaystack(Array(repeating: RulerTemplates.noise, count: size), needles: needles, &rng)
        case .needle:
            let distractors = (0..<size).map { _ in
                needle(key: randomItem(parameters.keys, &rng), value: randomItem(parameters.values, &rng))
            }
            haystack = lineHaystack(distractors, needles: needles, &rng)
        }
        return template.parts(haystack: haystack, values: ["type_needle_v": templateValueWord, "query": query],
                              references: answers)
    }

    /// niah.py for essays: the first `words` words cut into sentences; each needle goes in at a distinct
    /// depth of DEPTHS (position ⌊sentences × depth / 100⌋), pieces joined by spaces.
    func essayHaystack(words count: Int, needles: [String], _ rng: inout SeededGenerator) -> String {
        guard let essay else { return "" }
        let starts = essay.sentenceStarts(words: count)
        let sentences = starts.count - 1
        let chosen = rng.sample(needles.count, below: Self.depths.count).map { Self.depths[$0] }
        let positions = [0] + chosen.map { Int(Double(sentences) * (Double($0) / 100)) }.sorted() + [sentences]
        var pieces: [String] = []
        for i in 1..<positions.count {
            pieces.append(essay.text(starts[positions[i - 1]]..<starts[positions[i]]))
            if i - 1 < needles.count { pieces.append(needles[i - 1]) }
        }
        return pieces.joined(separator: " ")
    }

    /// niah.py for noise and needle haystacks: needles inserted at distinct line indices, highest first, lines
    /// joined by newlines.
    func lineHaystack(_ lines: [String], needles: [String], _ rng: inout SeededGenerator) -> String {
        var lines = lines
        let indices = rng.sample(needles.count, below: lines.count).sorted(by: >)
        for (index, needle) in zip(indices, needles) { lines.insert(needle, at: index) }
        return lines.joined(separator: "\n")
    }
}
