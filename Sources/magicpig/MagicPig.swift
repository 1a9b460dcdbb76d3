import ArgumentParser
import Harness

@main
struct MagicPig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "magicpig",
        abstract: "Measure approximate attention (MagicPIG LSH sampling, TopK, oracle sampling, …) against exact attention.",
        discussion: """
            When a method reads only a few percent of the KV cache, how wrong is the attention output, and what
            does it cost? `magicpig run` replays captured query/key/value tensors through every configured
            method and writes summary.csv, metrics.csv, the resolved config and a manifest.
            """,
        version: Manifest.harnessVersion,
        subcommands: [Run.self, Synth.self, Methods.self, Inspect.self, Bench.self, Models.self, Tokenize.self, TaskPrompt.self,
                      Generate.self, Perplexity.self, Capture.self]
    )
}
