import Kernels

/// vt (variable_tracking.py): chains "VAR A = 12345", "VAR B = VAR A ", … hidden among noise lines; the
/// answer is every variable of the first chain. Like RULER, the prompt starts with a one-shot example (3-letter
/// names, its own noise, fitted once to 500 tokens) followed by its answer.
struct VariableTrackingPrompt: SizedPrompt {
    let parameters: VariableTrackingParameters
    /// Noise lines of the one-shot example (found by the generator's fit); unused when `isExample`.
    let exampleNoiseLines: Int
    /// True for the one-shot example itself, which the generator fits to `exampleTokens`.
    let isExample: Bool

    /// RULER fits its one-shot example to max_seq_length = 500 with no answer room (variable_tracking.py main()).
    static let exampleTokens = 500

    /// Sizes are noise lines; RULER draws one distinct line per chain statement.
    var minimumSize: Int { parameters.hops + 1 }

    var template: PromptTemplate { RulerTemplates.variableTracking }

    /// generate_chains: `chains` chains of hops + 1 distinct variables of `nameLength` uppercase letters; the
    /// first statement assigns a 5-digit value, each later one the previous variable (with RULER's trailing space).
    func chains(nameLength: Int, _ rng: inout SeededGenerator) -> (variables: [[String]], statements: [[String]], value: String) {
        var names: [String] = []
        while names.count < parameters.chains * (parameters.hops + 1) {
            let name = rng.uppercaseLetters(nameLength)
            if name != "VAR", !names.contains(name) { names.append(name) }
        }
        var variables: [[String]] = [], statements: [[String]] = [], firstValue = ""
        for c in 0..<parameters.chains {
            let chain = Array(names[(c * (parameters.hops + 1))..<((c + 1) * (parameters.hops + 1))])
            let value = String(rng.integer(in: 10000...99998))  // np.random.randint(10000, 99999)
            if c == 0 { firstValue = value }
            variables.append(chain)
            statements.append(["VAR \(chain[0]) = \(value)"] + (0..<parameters.hops).map { "VAR \(chain[$0 + 1]) = VAR \(chain[$0]) " })
        }
        return (variables, statements, firstValue)
    }

    /// The noise haystack: `lines` copies of the noise sentence; each chain's statements go in, in order, at
    /// sorted distinct positions; joined by newlines, with ". \n" tidied to ".\n" as RULER does.
    func noiseHaystack(lines: Int, statements: [[String]], _ rng: inout SeededGenerator) -> String {
        var sentences = Array(repeating: RulerTemplates.noise, count: lines)
        for chain in statements {
            let positions = rng.sample(chain.count, below: sentences.count).sorted()
            for (j, position) in positions.enumerated() { sentences.insert(chain[j], at: position + j) }
        }
        return sentences.joined(separator: "\n").replacingOccurrences(of: ". \n", with: ".\n")
    }

    func values(query: String) -> [String: String] { ["query": query, "num_v": String(parameters.hops + 1)] }

    /// The one-shot example as RULER inserts it: the whole template with answer prefix, a space, the answer
    /// variables, a newline (randomize_icl gives it fresh names and value per sample).
    func example(lines: Int, _ rng: inout SeededGenerator) -> String {
        let (variables, statements, value) = chains(nameLength: 3, &rng)
        let haystack = noiseHaystack(lines: lines, statements: statements, &rng)
        return template.fullText(haystack: haystack, values: values(query: value)) + " " + variables[0].joined(separator: " ") + "\n"
    }

    func prompt(size: Int, seed: UInt64) -> PromptParts {
        var rng = SeededGenerator(seed: seed)
        if isExample {
            let (_, statements, value) = chains(nameLength: 3, &rng)
            let haystack = noiseHaystack(lines: size, statements: statements, &rng)
            return PromptParts(context: template.fullText(haystack: haystack, values: values(query: value)),
                               query: "", answerPrefix: "", references: [])
        }
        let shot = example(lines: exampleNoiseLines, &rng)
        let (variables, statements, value) = chains(nameLength: 5, &rng)
        let haystack = noiseHaystack(lines: size, statements: statements, &rng)
        var parts = template.parts(haystack: haystack, values: values(query: value), references: variables[0])
        parts.context = shot + "\n" + parts.context
        return parts
    }
}
