import Approximators

/// One `methods:` entry: a method name and parameters, where a list-valued parameter expands
/// into a grid (K: [8, 10] × L: [75, 150] is four configurations).
public struct MethodGrid: Sendable, Equatable {
    public var method: String
    /// Parameter name → the values it takes (one value for a scalar parameter), in file order.
    public var parameters: [(name: String, values: [ParameterValue])]
    /// This method's own `dense_layers`, overriding the protocol's: the authors keep layers 0 and 16 of
    /// Llama-3.1-8B exact for MagicPIG but 0 and 1 for the baselines (magicpig.md, "Dense layers").
    public var denseLayers: [Int]?

    public init(method: String, parameters: [(name: String, values: [ParameterValue])] = [], denseLayers: [Int]? = nil) {
        self.method = method
        self.parameters = parameters
        self.denseLayers = denseLayers
    }

    public static func == (a: MethodGrid, b: MethodGrid) -> Bool {
        a.method == b.method && a.parameters.map(\.name) == b.parameters.map(\.name)
            && a.parameters.map(\.values) == b.parameters.map(\.values) && a.denseLayers == b.denseLayers
    }

    /// The Cartesian product of the parameter lists, each point checked by the registry.
    public func expand() throws -> [MethodConfiguration] {
        var points: [[(String, ParameterValue)]] = [[]]
        for (name, values) in parameters {
            guard !values.isEmpty else {
                throw ApproximatorError.badParameter(method: method, name: name, reason: "the list of values is empty")
            }
            points = points.flatMap { point in values.map { point + [(name, $0)] } }
        }
        return try points.map { point in
            let dict = Dictionary(point, uniquingKeysWith: { _, last in last })
            let approximator = try ApproximatorRegistry.make(method, dict)
            return MethodConfiguration(method: method, parameters: point.map { ($0.0, $0.1) }, approximator: approximator,
                                       denseLayers: denseLayers.map { Array(Set($0)).sorted() })
        }
    }
}

/// One point of a grid: a configured approximator with a stable identifier used for result
/// rows, cell files and resume (e.g. "magicpig_K10_L150").
public struct MethodConfiguration: Sendable {
    public var method: String
    /// The parameters as the user gave them, in file order.
    public var parameters: [(name: String, value: ParameterValue)]
    public var approximator: any AttentionApproximator
    /// The method's own exact layers (nil: the protocol's). Part of the id, so cells under different
    /// dense layers never mix.
    public var denseLayers: [Int]?

    public init(method: String, parameters: [(name: String, value: ParameterValue)], approximator: any AttentionApproximator,
                denseLayers: [Int]? = nil) {
        self.method = method
        self.parameters = parameters
        self.approximator = approximator
        self.denseLayers = denseLayers
    }

    public var id: String {
        let dense = denseLayers.map { ["dense" + ($0.isEmpty ? "none" : $0.map(String.init).joined(separator: "-"))] } ?? []
        return ([method] + parameters.map { "\($0.name)\(Self.slug($0.value.description))" } + dense).joined(separator: "_")
    }

    /// The layers this configuration keeps exact under a protocol whose dense layers are `protocolLayers`.
    public func denseLayers(protocol protocolLayers: [Int]) -> [Int] { denseLayers ?? Array(Set(protocolLayers)).sorted() }

    /// Parameter value as recorded in results, "" when the method does not take it.
    public func value(_ name: String) -> String {
        parameters.first(where: { $0.name == name })?.value.description ?? ""
    }

    /// "K=10 L=150" — every given parameter, for the results' params column.
    public var parameterSummary: String {
        parameters.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
    }

    static func slug(_ s: String) -> String {
        String(s.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "-" })
    }
}
