import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that write CSV.",
        subcommands: [BenchReplay.self, BenchAttention.self, BenchModel.self])
}
