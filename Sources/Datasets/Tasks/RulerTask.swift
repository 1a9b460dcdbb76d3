/// The 13 synthetic tasks of RULER (Hsieh et al., 2024, "RULER: What's the Real Context Size of Your
/// Long-Context Language Models?") with the names and parameters of NVIDIA/RULER's scripts/synthetic.yaml.
/// docs/tasks.md describes each task and where this project's offline data differs from RULER's.
public enum RulerTask: String, CaseIterable, Sendable, Codable {
    case niahSingle1 = "niah_single_1", niahSingle2 = "niah_single_2", niahSingle3 = "niah_single_3"
    case niahMultikey1 = "niah_multikey_1", niahMultikey2 = "niah_multikey_2", niahMultikey3 = "niah_multikey_3"
    case niahMultivalue = "niah_multivalue", niahMultiquery = "niah_multiquery"
    case vt, cwe, fwe, qa1 = "qa_1", qa2 = "qa_2"

    /// The task for a RULER task name such as "niah_single_1"; the error lists the valid names.
    public static func parse(_ name: String) throws -> RulerTask {
        guard let task = RulerTask(rawValue: name) else { throw RulerTaskError.unknownTask(name) }
        return task
    }

    /// RULER scores niah, vt, cwe and fwe by string_match_all (every reference must appear) and qa by
    /// string_match_part (any reference suffices), scripts/eval/synthetic/constants.py.
    public var metric: RulerMetric {
        if case .qa = family { return .stringMatchPart }
        return .stringMatchAll
    }

    /// RULER's `tokens_to_generate` (scripts/data/synthetic/constants.py): the decode length, and the room
    /// the prompt leaves for the answer inside the target length.
    public var maxNewTokens: Int {
        switch family {
        case .needle: return 128
        case .variableTracking: return 30
        case .commonWords: return 120
        case .frequentWords: return 50
        case .qa: return 32
        }
    }

    /// The generator family and its arguments, as synthetic.yaml configures the task.
    var family: RulerTaskFamily {
        switch self {
        case .niahSingle1: return .needle(.init(haystack: .noise, keys: .words, values: .numbers))
        case .niahSingle2: return .needle(.init(haystack: .essay, keys: .words, values: .numbers))
        case .niahSingle3: return .needle(.init(haystack: .essay, keys: .words, values: .uuids))
        case .niahMultikey1: return .needle(.init(haystack: .essay, keys: .words, values: .numbers, keyCount: 4))
        case .niahMultikey2: return .needle(.init(haystack: .needle, keys: .words, values: .numbers))
        case .niahMultikey3: return .needle(.init(haystack: .needle, keys: .uuids, values: .uuids))
        case .niahMultivalue: return .needle(.init(haystack: .essay, keys: .words, values: .numbers, valueCount: 4))
        case .niahMultiquery: return .needle(.init(haystack: .essay, keys: .words, values: .numbers, queryCount: 4))
        case .vt: return .variableTracking(.init(chains: 1, hops: 4))
        case .cwe: return .commonWords(.init(commonFrequency: 30, uncommonFrequency: 3, commonCount: 10))
        case .fwe: return .frequentWords(.init(alpha: 2.0))
        case .qa1: return .qa(.singleDocument)
        case .qa2: return .qa(.multiHop)
        }
    }
}

/// RULER's two metrics (scripts/eval/synthetic/constants.py); `RulerScore` implements them.
public enum RulerMetric: String, Sendable, Codable {
    case stringMatchAll = "string_match_all", stringMatchPart = "string_match_part"
}

/// synthetic.yaml's `task:` with its `args:`.
enum RulerTaskFamily: Sendable {
    case needle(NeedleParameters)
    case variableTracking(VariableTrackingParameters)
    case commonWords(CommonWordsParameters)
    case frequentWords(FrequentWordsParameters)
    case qa(QAKind)
}

/// What fills the space around the needles (niah.py `type_haystack`).
enum HaystackKind: String, Sendable {
    /// "The grass is green. The sky is blue. …" repeated, one copy per line.
    case noise
    /// Natural-language text cut into sentences (RULER: Paul Graham essays; here: essay.txt).
    case essay
    /// Distractor needles with random keys and values, one per line.
    case needle
}

/// niah.py `type_needle_k` / `type_needle_v`; the raw value is the word RULER puts in its templates.
enum NeedleItemKind: String, Sendable {
    /// A hyphenated word pair, e.g. "harbor-velvet" (RULER: wonderwords adjective-noun pairs).
    case words
    /// A 7-digit number, 1000000 … 9999999.
    case numbers
    /// A random version-4 UUID.
    case uuids
}

/// niah.py arguments: `num_needle_k` keys with `num_needle_v` values each, `num_needle_q` of the keys asked for.
struct NeedleParameters: Sendable {
    var haystack: HaystackKind
    var keys: NeedleItemKind
    var values: NeedleItemKind
    var keyCount = 1
    var valueCount = 1
    var queryCount = 1

    /// niah.py raises num_needle_k to num_needle_q: every queried key needs a needle.
    var effectiveKeyCount: Int { max(keyCount, queryCount) }
}

/// variable_tracking.py arguments (noise haystack, one-shot example as RULER adds it).
struct VariableTrackingParameters: Sendable {
    var chains: Int
    var hops: Int
}

/// common_words_extraction.py arguments: `num_cw` common words repeated `freq_cw` times among uncommon
/// words repeated `freq_ucw` times. Below a 4096-token target RULER uses 6 and 1 instead (and a smaller
/// one-shot example), because 30 repetitions would leave no room for uncommon words.
struct CommonWordsParameters: Sendable {
    var commonFrequency: Int
    var uncommonFrequency: Int
    var commonCount: Int
    var fewShotCount = 1
}

/// freq_words_extraction.py arguments: coded words drawn from a Zipf (zeta) law of exponent `alpha` over a
/// vocabulary of `max_seq_length / 50` random 6-letter words; the most frequent is replaced by "...".
struct FrequentWordsParameters: Sendable {
    var alpha: Double
    var codedWordLength = 6
    /// Tokens of prompt budget per vocabulary word (vocab_size = budget / 50).
    var tokensPerVocabularyWord = 50
}

/// qa.py's `dataset`, replaced by synthetic documents about fictitious villages and people (QADocuments.swift).
enum QAKind: Sendable {
    /// qa_1 (SQuAD in RULER): the answer is in one gold document.
    case singleDocument
    /// qa_2 (HotpotQA in RULER): the answer needs two gold documents, one hop through the other.
    case multiHop
}
