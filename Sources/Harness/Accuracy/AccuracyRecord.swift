import Datasets

/// One answer: a (length, task, sample) prompt answered under one setup by one method configuration and
/// seed — a line of predictions.jsonl and the unit of resume (one cell file each).
public struct AccuracyRecord: Codable, Sendable, Equatable {
    public var length: Int
    public var task: String
    public var index: Int
    public var setup: PromptSetup
    /// `reference` for plain exact decoding (no seam), else the method configuration's id.
    public var methodID: String
    public var method: String
    public var parameters: String
    public var seed: UInt64
    public var prediction: String
    public var references: [String]
    /// FNV-1a 64 of the prompt text: a cell is reused only for the very prompt it answered (a changed
    /// generator or haystack invalidates it).
    public var promptDigest: String
    /// RULER's metric for the task, in [0, 1].
    public var score: Double
    public var promptTokens: Int
    public var queryTokens: Int
    public var generatedTokens: Int
    /// The approximators' mean cost (the authors' |S|/n for MagicPIG), over sparse layers, heads and steps;
    /// nil for the plain reference.
    public var costFraction: Double?
    /// Keys attended / keys available, summed over the same attends.
    public var keysFraction: Double?
    /// Leading tokens equal to the reference's answer, over its length.
    public var agreement: Double
    /// Mean KL(exact ‖ method) of the next-token distributions on the reference's prefix (nats).
    public var meanKL: Double
    public var klSteps: Int
    /// For `exact` through the seam: whether it reproduced plain decoding's answer token for token.
    public var matchesPlainExact: Bool?
    public var seconds: Double
    /// The git commit of the code that computed the cell (`-dirty` appended when the tree was modified);
    /// nil in cells written before it was recorded. A table resumed across commits lists its versions.
    public var code: String?

    public static let referenceID = "reference"

    public static func digest(_ sample: TaskSample) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (sample.context + "\u{0}" + sample.query + "\u{0}" + sample.answerPrefix).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }
    public var isReference: Bool { methodID == Self.referenceID }
}
