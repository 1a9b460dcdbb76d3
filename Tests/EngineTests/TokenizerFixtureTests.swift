import Foundation
import Testing
@testable import Engine

/// The tokenizer on the real models against llama.cpp's ids (scripts/make_tokenizer_fixtures.py wrote them with
/// llama-cpp-python on the same GGUF files). Needs the fetched models; each test is skipped, with the reason
/// printed, when its model is absent, so CI needs neither the models nor llama.cpp. The chat-template check needs
/// only the fixture (it carries the model's template text).
@Suite struct TokenizerFixtureTests {
    struct Fixture: Decodable {
        struct Text: Decodable {
            let name: String
            let text: String
            let parse_special: Bool
            let ids: [Int32]
        }
        struct Message: Decodable {
            let role: String
            let content: String
        }
        struct Chat: Decodable {
            let name: String
            let messages: [Message]
            let prompt: String
            let ids: [Int32]
        }
        let model: String
        let chat_template: String
        let texts: [Text]
        let chats: [Chat]
    }

    static func fixture(_ model: String) throws -> Fixture {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
            .appendingPathComponent("tokenizer/\(model).json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    static let store = ModelStore()
    static var smolLM2Present: Bool { store.isFetched(KnownModel.named("smollm2")!) }
    static var qwenPresent: Bool { store.isFetched(KnownModel.named("qwen2.5-0.5b")!) }

    /// Every fixture text and chat prompt; returns how many matched (failures are recorded with the first
    /// differing position).
    static func compare(model: String) throws -> (matched: Int, total: Int) {
        let fixture = try fixture(model)
        let tokenizer = try Tokenizer(gguf: GGUFFile(url: store.resolve(model)))
        var matched = 0
        let cases = fixture.texts.map { ($0.name, $0.text, $0.parse_special, $0.ids) }
            + fixture.chats.map { ("chat " + $0.name, $0.prompt, true, $0.ids) }
        for (name, text, parseSpecial, expected) in cases {
            let ids = tokenizer.encode(text, parseSpecial: parseSpecial)
            if ids == expected {
                matched += 1
            } else {
                let at = (0 ..< min(ids.count, expected.count)).first { ids[$0] != expected[$0] } ?? min(ids.count, expected.count)
                Issue.record("""
                    \(model) \(name): ids differ from llama.cpp at \(at) \
                    (ours \(ids[at...].prefix(6)), llama.cpp \(expected[at...].prefix(6)))
                    """)
            }
            // Decoding gives the text back (every fixture text is valid UTF-8; control tokens rendered).
            #expect(tokenizer.decode(expected, renderSpecial: true) == text, "\(model) \(name): decode")
        }
        print("TokenizerFixtureTests: \(model): \(matched)/\(cases.count) fixture texts give llama.cpp's ids")
        return (matched, cases.count)
    }

    @Test(.enabled(if: smolLM2Present, "SmolLM2 is not in .cache/models (scripts/fetch_models.sh smollm2)"))
    func smolLM2MatchesLlamaCpp() throws {
        let result = try Self.compare(model: "smollm2")
        #expect(result.matched == result.total)
    }

    @Test(.enabled(if: qwenPresent, "Qwen2.5-0.5B is not in .cache/models (scripts/fetch_models.sh qwen2.5-0.5b)"))
    func qwenMatchesLlamaCpp() throws {
        let result = try Self.compare(model: "qwen2.5-0.5b")
        #expect(result.matched == result.total)
    }

    /// The ChatML template reproduces what each model's Jinja template rendered, default system prompt included.
    @Test(arguments: ["smollm2", "qwen2.5-0.5b"])
    func chatTemplateMatchesJinja(model: String) throws {
        let fixture = try Self.fixture(model)
        let template = try ChatTemplate(template: fixture.chat_template)
        #expect(template.defaultSystemPrompt != nil)
        for chat in fixture.chats {
            let messages = chat.messages.map { ChatMessage(role: $0.role, content: $0.content) }
            #expect(template.apply(messages: messages) == chat.prompt, "\(model) \(chat.name)")
        }
    }
}
