import ArgumentParser
import Datasets
import Foundation
import Harness

struct TaskPrompt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task",
        abstract: "Print one RULER-style prompt exactly as an accuracy run feeds it, as JSON.",
        discussion: """
            The sample is generated for the model's tokenizer and chat template, as `magicpig run` with
            `kind: accuracy` does: {task, index, length, context, query, answer_prefix, references, prompt
            (the full text), context_tokens, query_tokens, max_new_tokens}. Useful to read a prompt, or to feed
            the same text to another engine (e.g. llama.cpp) as an independent check.
            Example: magicpig task --name cwe --length 4096 --model qwen2.5-0.5b --index 0
            """)

    @Option(help: "Task name (niah_single_1 … qa_2; see docs/tasks.md).")
    var name: String

    @Option(help: "Prompt length in the model's tokens (answer room and chat template included).")
    var length: Int = 4096

    @Option(help: "A model name (smollm2, qwen2.5-0.5b) or a GGUF path.")
    var model: String = "smollm2"

    @Option(help: "Sample index.")
    var index: Int = 0

    @Option(help: "Task generator seed (the config's task_seed).")
    var seed: UInt64 = 0

    @Flag(help: "No chat template (the config's chat: false).")
    var noChat = false

    func run() throws {
        let task = try RulerTask.parse(name)
        let loaded = try ModelLoader.load(name: model, threads: 1)
        let codec = try PromptCodec(tokenizer: loaded.tokenizer, chat: !noChat, stopTokens: loaded.model.stopTokens)
        let encode = codec.encode
        let sample = try TaskGenerator(task: task, targetTokens: length, overheadTokens: codec.overheadTokens, seed: seed,
                                       countTokens: { encode($0).count }).sample(index)
        let (context, query) = codec.promptIDs(sample)
        let texts = codec.promptTexts(sample)
        let object: [String: Any] = [
            "task": task.rawValue, "index": index, "length": length, "context": sample.context, "query": sample.query,
            "answer_prefix": sample.answerPrefix, "references": sample.references,
            "prompt": texts.context + texts.query,
            "context_tokens": context.count, "query_tokens": query.count, "max_new_tokens": task.maxNewTokens,
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
