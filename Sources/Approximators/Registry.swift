/// Maps a config name ("topk") and its parameters to a configured approximator.
///
/// One required customisation point per method (`make`), parameter checking shared here, so an
/// unknown method or a bad parameter fails before any work starts and lists what is valid.
public enum ApproximatorRegistry {
    /// Every method a config may name, in the order `magicpig methods` lists them.
    public static let methods: [MethodDescriptor] = [
        ExactAttention.descriptor,
        TopK.descriptor,
        OracleSampling.descriptor,
        MagicPIG.descriptor,
        StreamingLLM.descriptor,
    ]

    public static var names: [String] { methods.map(\.name) }

    public static func descriptor(named name: String) throws -> MethodDescriptor {
        guard let d = methods.first(where: { $0.name == name }) else {
            throw ApproximatorError.unknownMethod(name, valid: names)
        }
        return d
    }

    /// Builds an approximator from a method name and scalar parameters. Every parameter must be
    /// known to the method.
    public static func make(_ name: String, _ parameters: [String: ParameterValue] = [:]) throws -> any AttentionApproximator {
        let d = try descriptor(named: name)
        var reader = MethodParameters(method: name, values: parameters, known: d.parameters.map(\.name))
        let approximator = try d.make(&reader)
        try reader.finish()
        return approximator
    }
}

/// What a method is called, what it takes, and how to build it.
public struct MethodDescriptor: Sendable {
    public var name: String
    public var summary: String
    public var parameters: [ParameterDoc]
    public var make: @Sendable (inout MethodParameters) throws -> any AttentionApproximator

    public init(name: String, summary: String, parameters: [ParameterDoc],
                make: @escaping @Sendable (inout MethodParameters) throws -> any AttentionApproximator) {
        self.name = name
        self.summary = summary
        self.parameters = parameters
        self.make = make
    }
}

public struct ParameterDoc: Sendable {
    public var name: String
    public var summary: String
    /// The default as a user would write it, or nil when the parameter is required.
    public var defaultValue: String?

    public init(_ name: String, _ summary: String, default defaultValue: String? = nil) {
        self.name = name
        self.summary = summary
        self.defaultValue = defaultValue
    }
}

/// A scalar parameter value from a config or the command line.
public enum ParameterValue: Sendable, Hashable, CustomStringConvertible {
    case int(Int)
    case double(Double)
    case bool(Bool)
    case string(String)

    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return String(v)
        case .bool(let v): return String(v)
        case .string(let v): return v
        }
    }
}

/// Typed, checked access to a method's parameters; remembers which ones were read so that
/// leftovers (typos such as "budjet") are reported.
public struct MethodParameters {
    public let method: String
    private let values: [String: ParameterValue]
    private let known: [String]
    private var consumed: Set<String> = []

    public init(method: String, values: [String: ParameterValue], known: [String]) {
        self.method = method
        self.values = values
        self.known = known
    }

    public mutating func int(_ name: String, default fallback: Int? = nil, range: ClosedRange<Int>? = nil) throws -> Int {
        consumed.insert(name)
        let v: Int
        switch values[name] {
        case .int(let x)?: v = x
        case .double(let x)? where x == x.rounded() && abs(x) < 1e15: v = Int(x)
        case nil:
            guard let fallback else { throw ApproximatorError.missingParameter(method: method, name: name) }
            v = fallback
        case let other?:
            throw ApproximatorError.badParameter(method: method, name: name, reason: "expected an integer, got \(other)")
        }
        if let range, !range.contains(v) {
            throw ApproximatorError.badParameter(method: method, name: name, reason: "\(v) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    public mutating func double(_ name: String, default fallback: Double? = nil) throws -> Double {
        consumed.insert(name)
        switch values[name] {
        case .int(let x)?: return Double(x)
        case .double(let x)?:
            guard x.isFinite else { throw ApproximatorError.badParameter(method: method, name: name, reason: "must be finite") }
            return x
        case nil:
            guard let fallback else { throw ApproximatorError.missingParameter(method: method, name: name) }
            return fallback
        case let other?:
            throw ApproximatorError.badParameter(method: method, name: name, reason: "expected a number, got \(other)")
        }
    }

    public mutating func bool(_ name: String, default fallback: Bool) throws -> Bool {
        consumed.insert(name)
        switch values[name] {
        case .bool(let x)?: return x
        case nil: return fallback
        case let other?:
            throw ApproximatorError.badParameter(method: method, name: name, reason: "expected true or false, got \(other)")
        }
    }

    /// A string parameter restricted to `choices`.
    public mutating func choice(_ name: String, _ choices: [String], default fallback: String) throws -> String {
        consumed.insert(name)
        switch values[name] {
        case .string(let x)?:
            guard choices.contains(x) else {
                throw ApproximatorError.badParameter(method: method, name: name,
                                                     reason: "'\(x)' is not one of \(choices.joined(separator: ", "))")
            }
            return x
        case nil: return fallback
        case let other?:
            throw ApproximatorError.badParameter(method: method, name: name,
                                                 reason: "expected one of \(choices.joined(separator: ", ")), got \(other)")
        }
    }

    public func has(_ name: String) -> Bool { values[name] != nil }

    /// Fails if a parameter was given that the method never read.
    public func finish() throws {
        let unknown = values.keys.filter { !consumed.contains($0) }.sorted()
        if let first = unknown.first {
            throw ApproximatorError.unknownParameter(method: method, name: first, valid: known)
        }
    }
}

public enum ApproximatorError: Error, Equatable, CustomStringConvertible {
    case unknownMethod(String, valid: [String])
    case unknownParameter(method: String, name: String, valid: [String])
    case missingParameter(method: String, name: String)
    case badParameter(method: String, name: String, reason: String)

    public var description: String {
        switch self {
        case .unknownMethod(let name, let valid):
            return "unknown method '\(name)'; valid methods: \(valid.joined(separator: ", "))"
        case .unknownParameter(let method, let name, let valid):
            let list = valid.isEmpty ? "it takes no parameters" : "valid parameters: \(valid.joined(separator: ", "))"
            return "method '\(method)' has no parameter '\(name)'; \(list)"
        case .missingParameter(let method, let name):
            return "method '\(method)' needs parameter '\(name)'"
        case .badParameter(let method, let name, let reason):
            return "method '\(method)', parameter '\(name)': \(reason)"
        }
    }
}
