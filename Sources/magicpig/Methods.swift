import Approximators
import ArgumentParser

struct Methods: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the attention methods a config can name, with their parameters.")

    func run() throws {
        for d in ApproximatorRegistry.methods {
            print("\(d.name): \(d.summary)")
            for p in d.parameters {
                print("    \(p.name)\(p.defaultValue.map { " (default \($0))" } ?? " (required)"): \(p.summary)")
            }
        }
    }
}
