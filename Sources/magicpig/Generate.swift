import ArgumentParser
import Engine
import Foundation

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Greedy generation with the real model, with exact or approximate decode attention.",
        discussion: """
            The prompt is used verbatim (special tokens such as <|im_start|> are recognised, no BOS is added);
            --chat wraps it as one user message in the model's ChatML template and adds the assistant prompt.
            The prompt is prefilled with exact attention; every decode step attends through --method (in all
            layers but --dense-layers, under the --sink/--local protocol). Decoding is greedy and stops after
            an end-of-generation token or --max-tokens tokens. Prints the generated text (end-of-generation
            tokens omitted); --json prints ids, text and the approximators' cost statistics instead.
            """)

    @OptionGroup var options: ModelOptions

    @Option(help: "The prompt text.")
    var prompt: String

    @Flag(help: "Wrap the prompt in the model's chat template as a user message.")
    var chat = false

    @Option(name: .customLong("max-tokens"), help: "Most tokens to generate.")
    var maxTokens: Int = 64

    @Flag(help: "Print a JSON object: prompt and generated ids, text, cost statistics.")
    var json = false

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
    }

    func run() throws {
        let seam = try options.seam()
        let (_, tokenizer, model) = try options.load()
        let text = chat ? try tokenizer.chatTemplate().apply(user: prompt) : prompt
        let promptIDs = tokenizer.encode(text).map(Int.init)
        guard !promptIDs.isEmpty else { throw ValidationError("the prompt has no tokens") }
        let stop = model.stopTokens.union(tokenizer.endOfGeneration.map(Int.init))
        let session = model.makeSession(seam: seam)
        let started = Date()
        try session.prefill(promptIDs)
        let prefilled = Date()
        let ids = try session.greedy(maxTokens: maxTokens, stop: stop)
        let finished = Date()
        let output = tokenizer.decode(ids.map(Int32.init))
        guard json else {
            print(output)
            return
        }
        let s = session.statistics
        let decodeSeconds = finished.timeIntervalSince(prefilled)
        print("""
            {"model": \(jsonString(options.model)), "method": \(jsonString(options.method)), \
            "prompt_ids": [\(promptIDs.map(String.init).joined(separator: ", "))], \
            "ids": [\(ids.map(String.init).joined(separator: ", "))], "text": \(jsonString(output)), \
            "stopped": \(ids.last.map { stop.contains($0) } ?? false), \
            "cost": {"attends": \(s.attends), "mean_cost_fraction": \(jsonNumber(s.meanCostFraction)), \
            "keys_attended": \(s.keysAttended), "keys_total": \(s.keysTotal)}, \
            "prefill_seconds": \(jsonNumber(prefilled.timeIntervalSince(started))), \
            "decode_tokens_per_second": \(jsonNumber(Double(max(ids.count - 1, 0)) / max(decodeSeconds, 1e-9)))}
            """)
    }
}
