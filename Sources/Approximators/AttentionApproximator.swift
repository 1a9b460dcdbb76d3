import Kernels
/// The seam every attention approximation plugs into, in replay and (later) in a model's
/// decode loop alike.
///
/// Life cycle, per (layer, KV head):
/// 1. `prepare(cache:context:)` once after prefill, with the prompt's keys and values
///    (post-RoPE). Index structures (hash tables, page summaries) are built here.
/// 2. For each decode step: `append(key:value:)` for the newly generated token (generated
///    tokens are always attended exactly), then `attend(query:recordWeights:)` once per query
///    head of the KV head's GQA group.
///
/// Every result carries its log-sum-exp so partial outputs over disjoint key sets merge exactly
/// (`Softmax.merge`).
public protocol AttentionApproximator: Sendable {
    /// The registry name, e.g. "magicpig".
    var method: String { get }
    /// The resolved parameters, as recorded in results (e.g. ["K": "10", "L": "150"]).
    var parameters: [String: String] { get }
    /// Whether the output depends on the seed (sampling, random projections). Deterministic
    /// methods run once per configuration instead of once per seed. No default: a sampling
    /// method that forgot to say so would silently be measured with one seed.
    var isRandomized: Bool { get }
    /// Builds the per-(layer, KV head) state from the prefill's keys and values.
    func prepare(cache: HeadCache, context: HeadContext) -> any PreparedAttentionHead
}


/// Per-(layer, KV head) state of an approximator after prefill. Not thread-safe: one decode
/// stream drives one prepared head; different heads run in parallel.
public protocol PreparedAttentionHead: AnyObject {
    /// Keys in the cache now: prefill plus generated.
    var tokenCount: Int { get }
    /// Adds a generated token's key and value; generated tokens are attended exactly.
    func append(key: [Float], value: [Float])
    /// Attends one query (length head_dim) over every key in the cache.
    func attend(query: [Float], recordWeights: Bool) -> AttentionResult
    /// Attends the query heads of a GQA group, which share this head's keys and values, in order.
    /// Results equal `attend(query:)` called on each in turn (random draws included); an
    /// override can read K and V once per group instead of once per query head.
    func attend(queries: [[Float]], recordWeights: Bool) -> [AttentionResult]
}

extension PreparedAttentionHead {
    public func attend(queries: [[Float]], recordWeights: Bool) -> [AttentionResult] {
        queries.map { attend(query: $0, recordWeights: recordWeights) }
    }
}

/// Where a prepared head sits, and the protocol it runs under.
public struct HeadContext: Sendable, Hashable {
    public var layer: Int
    public var kvHead: Int
    /// Run-level seed; approximators derive their own streams from (seed, layer, kvHead).
    public var seed: UInt64
    public var attentionProtocol: AttentionProtocol

    public init(layer: Int, kvHead: Int, seed: UInt64, attentionProtocol: AttentionProtocol) {
        self.layer = layer
        self.kvHead = kvHead
        self.seed = seed
        self.attentionProtocol = attentionProtocol
    }
}

/// The output of one query's attention, with what it cost.
public struct AttentionResult: Sendable {
    /// Estimated attention output, length head_dim.
    public var output: [Float]
    /// log Σ_j exp(ℓ_j) over the logits the output was normalised with, in the same space as
    /// q·k/√d of the raw (uncentred) keys, so results merge with `Softmax.merge`.
    public var logSumExp: Float
    public var cost: AttentionCost
    /// Effective attention weight per key (sums to 1), when requested.
    public var weights: SparseAttentionWeights?

    public init(output: [Float], logSumExp: Float, cost: AttentionCost, weights: SparseAttentionWeights? = nil) {
        self.output = output
        self.logSumExp = logSumExp
        self.cost = cost
        self.weights = weights
    }
}

/// Budget accounting on one axis for every method (keys, FLOPs) plus each method's own
/// `costFraction` as its authors report it.
public struct AttentionCost: Sendable, Equatable {
    /// Keys in the cache at this step.
    public var keysTotal: Int
    /// Distinct keys whose values entered the output.
    public var keysAttended: Int
    /// Keys whose q·k score was computed (all of them for the oracle methods).
    public var keysScored: Int
    /// Floating-point operations for this query, index work (e.g. query hashing) included.
    public var flops: Double
    /// The authors' cost: MagicPIG |S|/n_middle, TopK kept/all, oracle sampling unique/all.
    public var costFraction: Double
    /// Samples drawn (oracle sampling) or retrieved (MagicPIG |S|); nil for deterministic methods.
    public var sampled: Int?

    public init(keysTotal: Int, keysAttended: Int, keysScored: Int, flops: Double, costFraction: Double, sampled: Int? = nil) {
        self.keysTotal = keysTotal
        self.keysAttended = keysAttended
        self.keysScored = keysScored
        self.flops = flops
        self.costFraction = costFraction
        self.sampled = sampled
    }
}

/// Effective weights over a subset of keys: weights[i] belongs to key indices[i].
public struct SparseAttentionWeights: Sendable, Equatable {
    public var indices: [Int32]
    public var weights: [Float]

    public init(indices: [Int32], weights: [Float]) {
        precondition(indices.count == weights.count)
        self.indices = indices
        self.weights = weights
    }
}
