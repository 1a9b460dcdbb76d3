import ArgumentParser
import Harness
import Kernels

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an experiment config (YAML) and write its results folder.",
        discussion: """
            Results go to results/<name>/ unless --out is given: summary.csv, summary_by_concentration.csv, summary_by_layer.csv,
            metrics.csv, config.yaml (after overrides), manifest.json, and cells/ (finished work, reused when
            the same command runs again). Example: magicpig run experiments/quickstart.yaml --set seeds=[0]
            """)

    @Argument(help: "Experiment config (YAML); see docs/config.md.")
    var config: String

    @Option(help: "Results folder (default: results/<name>).")
    var out: String?

    @Option(name: .customLong("set"), help: "Override a config field, e.g. --set protocol.sink=8 --set 'methods[3].K=[8,10]'. Repeatable.")
    var overrides: [String] = []

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int = Parallel.defaultThreadCount

    @Option(help: "Compute backend for a model's prefill products (kind: accuracy): openblas or swift.")
    var backend: BackendChoice = .default

    @Flag(help: "kind: accuracy: write the tables from the finished cells only and compute nothing; samples with a missing answer are left out (the table of a run stopped part-way).")
    var finishedOnly = false

    @Flag(help: "No progress on stderr.")
    var quiet = false

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        var options = Experiment.Options()
        options.outputFolder = out
        options.overrides = overrides
        options.threads = threads
        options.quiet = quiet
        options.backend = backend
        options.finishedOnly = finishedOnly
        let folder = try Experiment.run(configPath: config, options: options)
        print(folder)
    }
}
