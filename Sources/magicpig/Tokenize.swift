import ArgumentParser
import Engine
import Foundation

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the token ids of a text as a JSON array, as the model's GGUF tokenizer gives them.",
        discussion: """
            The text is used verbatim (no BOS, as both models' metadata say); special tokens written in it, such
            as <|im_start|>, are recognised, as llama.cpp does. --chat wraps the text as one user message in the
            model's ChatML template (with its default system prompt) and adds the assistant prompt.
            """)

    @Option(help: "A model name (smollm2, qwen2.5-0.5b) or a GGUF path.")
    var model: String = "smollm2"

    @Option(help: "The text to tokenize.")
    var text: String

    @Flag(help: "Wrap the text in the model's chat template as a user message.")
    var chat = false

    @Flag(help: "Treat control tokens written in the text as plain text.")
    var noParseSpecial = false

    @Flag(help: "Print one line per token: id and its text.")
    var verbose = false

    func run() throws {
        let url = try ModelStore().resolve(model)
        let tokenizer = try Tokenizer(gguf: GGUFFile(url: url))
        let input = chat ? try tokenizer.chatTemplate().apply(user: text) : text
        let ids = tokenizer.encode(input, parseSpecial: !noParseSpecial)
        if verbose {
            for id in ids {
                let piece = tokenizer.decode([id], renderSpecial: true)
                print("\(id)\t\(piece.debugDescription)")
            }
        } else {
            print("[" + ids.map(String.init).joined(separator: ", ") + "]")
        }
    }
}
