import ArgumentParser
import Engine
import Foundation

struct Perplexity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mean next-token NLL and perplexity of a text under the real model, exact or through an attention method.",
        discussion: """
            The file's text is tokenized verbatim (no BOS). The first --prefill tokens (default 1) are run with
            exact causal attention; every later token is predicted teacher-forced and fed as a decode step, so
            the scored tokens are ids[P...] (N − P predictions) in every mode. Exact with --prefill 1 runs in
            512-token chunks instead (the same quantity, llama.cpp's perplexity over one window).
            With --method, the approximators are prepared on the P prefilled tokens' keys and values (in every
            layer but --dense-layers) and each decode step attends through them; tokens fed after the prefill
            are appended to the approximators and attended exactly, as during generation. So only the prefilled
            keys' middle (outside the --sink and --local windows) is approximated: use a --prefill well above
            sink + local for a meaningful comparison, and the same --prefill for the exact baseline.
            """)

    @OptionGroup var options: ModelOptions

    @Option(name: .customLong("text-file"), help: "UTF-8 text file to score.")
    var textFile: String

    @Option(help: "Tokens prefilled with exact attention before the scored, teacher-forced tokens.")
    var prefill: Int = 1

    @Flag(help: "Print {\"tokens\": N, \"scored\": N−P, \"nll\": X, \"perplexity\": Y, …}.")
    var json = false

    func validate() throws {
        guard prefill >= 1 else { throw ValidationError("--prefill must be at least 1") }
    }

    func run() throws {
        let seam = try options.seam()
        let text: String
        do { text = try String(contentsOfFile: textFile, encoding: .utf8) } catch {
            throw ValidationError("cannot read --text-file \(textFile): \(error.localizedDescription)")
        }
        let (_, tokenizer, model) = try options.load()
        let ids = tokenizer.encode(text).map(Int.init)
        guard ids.count > prefill else {
            throw ValidationError("the text has \(ids.count) tokens; it needs more than --prefill (\(prefill))")
        }
        let nll: Double
        var meanCost = 0.0
        if seam == nil && prefill == 1 {
            nll = try model.meanNLL(ids: ids)
        } else {
            let session = model.makeSession(seam: seam)
            try session.prefill(Array(ids[..<prefill]))
            nll = try session.meanNLL(of: Array(ids[prefill...]))
            meanCost = session.statistics.meanCostFraction
        }
        let perplexity = exp(nll)
        if json {
            print("""
                {"tokens": \(ids.count), "prefilled": \(prefill), "scored": \(ids.count - prefill), \
                "method": \(jsonString(options.method)), "nll": \(jsonNumber(nll)), "perplexity": \(jsonNumber(perplexity)), \
                "mean_cost_fraction": \(jsonNumber(meanCost))}
                """)
        } else {
            print("\(options.method): \(ids.count - prefill) tokens scored after \(prefill) prefilled, mean NLL \(String(format: "%.5f", nll)), perplexity \(String(format: "%.4f", perplexity))")
        }
    }
}
