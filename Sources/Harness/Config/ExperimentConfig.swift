import Approximators

/// An experiment as a file: what to replay, under which protocol, with which methods.
/// `magicpig run CONFIG.yaml` executes one; see docs/config.md for every field.
public struct ExperimentConfig: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Replay captured attention through every method and measure error and cost.
        case replay
        /// The sampling-probability curve u(cosine) for (K, L) pairs (paper figure 1).
        case uCurve = "u_curve"
        /// RULER-style tasks answered by a real model with each method inside its decode loop.
        case accuracy
    }

    public var name: String
    public var kind: Kind
    /// Capture files (HDF5, format v1), relative to the current directory.
    public var captures: [String]
    /// Sample indices to replay; nil means all.
    public var samples: [Int]?
    /// Layer indices to replay; nil means every layer in the capture.
    public var layers: [Int]?
    public var attentionProtocol: AttentionProtocol
    /// Layers where every method is replaced by exact attention (e.g. [0, 16] for Llama-3.1-8B).
    public var denseLayers: [Int]
    public var seeds: [UInt64]
    public var methods: [MethodGrid]
    /// Recall is measured on the exact top `recallFraction` of keys (also the concentration measure).
    public var recallFraction: Double
    public var uCurve: UCurveSpec
    public var accuracy = AccuracySpec()

    public init(name: String, kind: Kind = .replay, captures: [String] = [], samples: [Int]? = nil,
                layers: [Int]? = nil, attentionProtocol: AttentionProtocol = AttentionProtocol(),
                denseLayers: [Int] = [], seeds: [UInt64] = [0], methods: [MethodGrid] = [],
                recallFraction: Double = 0.02, uCurve: UCurveSpec = UCurveSpec()) {
        self.name = name
        self.kind = kind
        self.captures = captures
        self.samples = samples
        self.layers = layers
        self.attentionProtocol = attentionProtocol
        self.denseLayers = denseLayers
        self.seeds = seeds
        self.methods = methods
        self.recallFraction = recallFraction
        self.uCurve = uCurve
    }

    /// Every (method configuration) the grids expand to, in config order.
    public func methodConfigurations() throws -> [MethodConfiguration] {
        var seen = Set<String>()
        var out: [MethodConfiguration] = []
        for grid in methods {
            for configuration in try grid.expand() where seen.insert(configuration.id).inserted {
                out.append(configuration)
            }
        }
        return out
    }
}

/// Parameters of the u(cosine) figure.
public struct UCurveSpec: Sendable, Equatable {
    public var pairs: [(K: Int, L: Int)]
    public var threshold: Int
    public var cosineStep: Double

    public init(pairs: [(K: Int, L: Int)] = [(8, 75), (10, 150), (10, 170), (11, 300)],
                threshold: Int = 2, cosineStep: Double = 0.01) {
        self.pairs = pairs
        self.threshold = threshold
        self.cosineStep = cosineStep
    }

    public static func == (a: UCurveSpec, b: UCurveSpec) -> Bool {
        a.threshold == b.threshold && a.cosineStep == b.cosineStep
            && a.pairs.map { [$0.K, $0.L] } == b.pairs.map { [$0.K, $0.L] }
    }
}
