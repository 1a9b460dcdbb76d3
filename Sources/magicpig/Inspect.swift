import ArgumentParser
import Datasets

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Validate a capture file and print its header and samples.")

    @Argument(help: "Capture file (.h5, format v1).")
    var capture: String

    func run() throws {
        let file = try CaptureFile(path: capture)
        let h = file.header
        print("\(capture): model \(h.model), \(h.numLayers) layers, \(h.numHeads) heads / \(h.numKVHeads) KV heads, head_dim \(h.headDim)")
        for (key, value) in h.extra.sorted(by: { $0.key < $1.key }) {
            // Token-id lists run to thousands of characters: show their start.
            print("  \(key): \(value.count > 100 ? "\(value.prefix(100))… (\(value.count) characters)" : value)")
        }
        for s in file.samples {
            let positions = s.queryPositions
            print("  sample \(s.index): \(s.tokenCount) tokens, prompt \(s.promptTokens), \(positions.count) queries at \(positions.first.map(String.init) ?? "-")…\(positions.last.map(String.init) ?? "-"), layers \(s.layers.map(String.init).joined(separator: ","))")
        }
    }
}
