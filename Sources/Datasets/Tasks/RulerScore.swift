import Foundation

/// RULER's metrics for one prediction (scripts/eval/synthetic/constants.py) and its prediction clean-up
/// (scripts/eval/evaluate.py `postprocess_pred`).
///
/// Scores are fractions in [0, 1]; RULER reports the mean over samples ×100 rounded to 2 decimals, which
/// the runner does. Matching is case-insensitive substring containment, exactly as RULER's
/// `r.lower() in pred.lower()`: no tokenisation, no word boundaries ("12" is found in "1234").
public enum RulerScore {
    /// string_match_all: the fraction of references contained in the prediction (partial credit, e.g.
    /// 2 of 4 values → 0.5). Empty references score 0 (RULER would divide by zero).
    public static func stringMatchAll(prediction: String, references: [String]) -> Double {
        guard !references.isEmpty else { return 0 }
        let found = references.filter { contains(prediction, $0) }.count
        return Double(found) / Double(references.count)
    }

    /// string_match_part: 1 if any reference is contained in the prediction, else 0.
    public static func stringMatchPart(prediction: String, references: [String]) -> Double {
        references.contains { contains(prediction, $0) } ? 1 : 0
    }

    /// The metric on the post-processed prediction, as RULER's evaluate.py scores it.
    public static func score(_ metric: RulerMetric, prediction: String, references: [String]) -> Double {
        let cleaned = postprocess(prediction)
        switch metric {
        case .stringMatchAll: return stringMatchAll(prediction: cleaned, references: references)
        case .stringMatchPart: return stringMatchPart(prediction: cleaned, references: references)
        }
    }

    /// RULER's `postprocess_pred`: strip surrounding whitespace, replace every control character
    /// U+0000–U+001F (tab and newline included) by a newline, strip again. RULER cuts nothing after a
    /// marker: its default stop-word list (config_tasks.sh STOP_WORDS) is empty.
    public static func postprocess(_ prediction: String) -> String {
        let trimmed = prediction.trimmingCharacters(in: .whitespacesAndNewlines)
        var scalars = String.UnicodeScalarView()
        for scalar in trimmed.unicodeScalars {
            scalars.append(scalar.value < 0x20 ? "\n" : scalar)
        }
        return String(scalars).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Python's `needle.lower() in text.lower()`; an empty reference is contained in everything, as in Python.
    static func contains(_ text: String, _ needle: String) -> Bool {
        needle.isEmpty || text.lowercased().contains(needle.lowercased())
    }
}
