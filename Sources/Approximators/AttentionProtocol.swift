/// The evaluation protocol: which tokens are always attended exactly. MagicPIG's static set is
/// sink ∪ local window ∪ generated tokens (shared/reference/magicpig.md). Dense layers are
/// the runner's business: there every method is replaced by exact attention.
public struct AttentionProtocol: Sendable, Hashable, Codable {
    /// Leading "attention sink" tokens, [0, sink).
    public var sinkTokens: Int
    /// Trailing prompt tokens attended exactly, [n − local, n).
    public var localWindow: Int

    public init(sinkTokens: Int = 4, localWindow: Int = 64) {
        self.sinkTokens = sinkTokens
        self.localWindow = localWindow
    }

    /// Splits a prefill of `promptLength` tokens into sink, middle (hashed / sampled) and local.
    public func layout(promptLength n: Int) -> CacheLayout {
        let sinkEnd = min(max(sinkTokens, 0), n)
        let localStart = max(sinkEnd, n - max(localWindow, 0))
        return CacheLayout(sink: 0..<sinkEnd, middle: sinkEnd..<localStart, local: localStart..<n)
    }
}

/// The three regions of a prepared cache; generated tokens follow at [promptLength, count).
public struct CacheLayout: Sendable, Hashable {
    public var sink: Range<Int>
    public var middle: Range<Int>
    public var local: Range<Int>
    public var promptLength: Int { local.upperBound }
}
