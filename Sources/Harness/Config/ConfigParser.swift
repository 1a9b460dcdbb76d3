import Approximators
import Datasets
import Foundation
import Kernels
import Yams

/// A config that cannot be used, with where and what to fix.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var file: String
    /// Dotted path of the offending field, e.g. "methods[2].K".
    public var field: String
    public var message: String

    public init(file: String, field: String, message: String) {
        self.file = file
        self.field = field
        self.message = message
    }

    public var description: String {
        field.isEmpty ? "\(file): \(message)" : "\(file): \(field): \(message)"
    }
}

/// Reads experiment configs from YAML, applying `--set field=value` overrides first.
public enum ConfigParser {
    static let topLevelKeys = ["name", "kind", "captures", "samples", "layers", "protocol", "seeds", "methods",
                               "recall_fraction", "pairs", "threshold", "cosine_step",
                               // kind: accuracy
                               "model", "tasks", "lengths", "samples_per_task", "task_seed", "chat", "setups",
                               "max_new_tokens", "kv_type"]
    static let protocolKeys = ["sink", "local", "dense_layers"]

    public static func load(path: String, overrides: [String] = []) throws -> ExperimentConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, field: "", message: "cannot read the file (does it exist?)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, field: "", message: "not UTF-8 text")
        }
        return try parse(yaml: text, file: path, overrides: overrides)
    }

    public static func parse(yaml: String, file: String = "<config>", overrides: [String] = []) throws -> ExperimentConfig {
        var root = try composeRoot(yaml, file: file)
        for override in overrides { try apply(override: override, to: &root, file: file) }
        return try decode(root, file: file)
    }

    /// The YAML (after overrides) as it will be saved in the results folder.
    public static func resolvedYAML(yaml: String, file: String, overrides: [String]) throws -> String {
        var root = try composeRoot(yaml, file: file)
        for override in overrides { try apply(override: override, to: &root, file: file) }
        return try Yams.serialize(node: root)
    }

    static func composeRoot(_ yaml: String, file: String) throws -> Node {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigError(file: file, field: "", message: "not valid YAML: \(error)")
        }
        guard let node, node.mapping != nil else {
            throw ConfigError(file: file, field: "", message: "expected a mapping of fields (name, captures, methods, …) at the top level")
        }
        return node
    }

    /// `protocol.sink=8`, `seeds=[0,1]`, `methods[3].K=[8,10]`: the value is parsed as YAML.
    static func apply(override: String, to root: inout Node, file: String) throws {
        guard let eq = override.firstIndex(of: "=") else {
            throw ConfigError(file: file, field: override, message: "an override must look like field=value (e.g. protocol.sink=8)")
        }
        let path = String(override[..<eq]).trimmingCharacters(in: .whitespaces)
        let valueText = String(override[override.index(after: eq)...])
        let value: Node
        do {
            value = try Yams.compose(yaml: valueText) ?? Node("")
        } catch {
            throw ConfigError(file: file, field: path, message: "override value is not valid YAML: \(valueText)")
        }
        let components = try parsePath(path, file: file)
        root = try set(components[...], to: value, in: root, file: file, fullPath: path)
    }

    enum PathComponent { case key(String), index(Int) }

    static func parsePath(_ path: String, file: String) throws -> [PathComponent] {
        var out: [PathComponent] = []
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            var rest = Substring(part)
            if let bracket = rest.firstIndex(of: "[") {
                let key = rest[..<bracket]
                if !key.isEmpty { out.append(.key(String(key))) }
                rest = rest[bracket...]
                while rest.hasPrefix("[") {
                    guard let close = rest.firstIndex(of: "]"), let i = Int(rest[rest.index(after: rest.startIndex)..<close]) else {
                        throw ConfigError(file: file, field: path, message: "bad index in override path")
                    }
                    out.append(.index(i))
                    rest = rest[rest.index(after: close)...]
                }
                if !rest.isEmpty { throw ConfigError(file: file, field: path, message: "bad override path") }
            } else {
                guard !rest.isEmpty else { throw ConfigError(file: file, field: path, message: "empty field name in override path") }
                out.append(.key(String(rest)))
            }
        }
        return out
    }

    static func set(_ path: ArraySlice<PathComponent>, to value: Node, in node: Node, file: String, fullPath: String) throws -> Node {
        guard let first = path.first else { return value }
        switch first {
        case .key(let key):
            var mapping = node.mapping ?? Node.Mapping([])
            let child = mapping[key] ?? Node.mapping(Node.Mapping([]))
            mapping[key] = try set(path.dropFirst(), to: value, in: child, file: file, fullPath: fullPath)
            return .mapping(mapping)
        case .index(let i):
            guard var sequence = node.sequence, i >= 0, i < sequence.count else {
                throw ConfigError(file: file, field: fullPath, message: "index \(i) is out of range")
            }
            sequence[i] = try set(path.dropFirst(), to: value, in: sequence[i], file: file, fullPath: fullPath)
            return .sequence(sequence)
        }
    }

    // MARK: - Decoding with field paths in every error

    static func decode(_ root: Node, file: String) throws -> ExperimentConfig {
        let map = root.mapping!
        for key in map.keys.compactMap(\.string) where !topLevelKeys.contains(key) {
            throw ConfigError(file: file, field: key, message: "unknown field; valid fields: \(topLevelKeys.joined(separator: ", "))")
        }
        func err(_ field: String, _ message: String) -> ConfigError { ConfigError(file: file, field: field, message: message) }

        guard let name = map["name"]?.string, !name.isEmpty else { throw err("name", "required: a name for the experiment (it names the results folder)") }
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw err("name", "use letters, digits, '-', '_' or '.' only (it names a folder)")
        }
        var config = ExperimentConfig(name: name)
        if let kindNode = map["kind"] {
            guard let s = kindNode.string, let kind = ExperimentConfig.Kind(rawValue: s) else {
                throw err("kind", "expected one of \(ExperimentConfig.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            config.kind = kind
        }
        config.captures = try stringList(map["captures"], field: "captures", file: file) ?? []
        config.samples = try intList(map["samples"], field: "samples", file: file)
        config.layers = try intList(map["layers"], field: "layers", file: file)
        if let p = map["protocol"] {
            guard let pm = p.mapping else { throw err("protocol", "expected a mapping {sink, local, dense_layers}") }
            for key in pm.keys.compactMap(\.string) where !protocolKeys.contains(key) {
                throw err("protocol.\(key)", "unknown field; valid: \(protocolKeys.joined(separator: ", "))")
            }
            if let s = pm["sink"] { config.attentionProtocol.sinkTokens = try nonNegativeInt(s, "protocol.sink", file) }
            if let l = pm["local"] { config.attentionProtocol.localWindow = try nonNegativeInt(l, "protocol.local", file) }
            config.denseLayers = try intList(pm["dense_layers"], field: "protocol.dense_layers", file: file) ?? []
        }
        if let seeds = try intList(map["seeds"], field: "seeds", file: file) {
            guard !seeds.isEmpty, seeds.allSatisfy({ $0 >= 0 }) else { throw err("seeds", "expected a non-empty list of non-negative integers") }
            config.seeds = seeds.map { UInt64($0) }
        }
        if let r = map["recall_fraction"] {
            guard let v = r.float, v > 0, v <= 1 else { throw err("recall_fraction", "expected a number in (0, 1]") }
            config.recallFraction = v
        }
        if let pairs = map["pairs"] {
            guard let seq = pairs.sequence else { throw err("pairs", "expected a list of [K, L] pairs") }
            config.uCurve.pairs = try seq.enumerated().map { i, node in
                guard let kl = node.sequence, kl.count == 2, let k = kl[0].int, let l = kl[1].int, (1...16).contains(k), l >= 1 else {
                    throw err("pairs[\(i)]", "expected [K, L] with K in 1...16 and L ≥ 1")
                }
                return (k, l)
            }
        }
        if let t = map["threshold"] {
            guard let v = t.int, v == 1 || v == 2 else { throw err("threshold", "expected 1 or 2") }
            config.uCurve.threshold = v
        }
        if let s = map["cosine_step"] {
            guard let v = s.float, v > 0, v <= 1 else { throw err("cosine_step", "expected a number in (0, 1]") }
            config.uCurve.cosineStep = v
        }
        if let methods = map["methods"] {
            guard let seq = methods.sequence else { throw err("methods", "expected a list of {method: NAME, …parameters}") }
            config.methods = try seq.enumerated().map { i, node in try methodGrid(node, field: "methods[\(i)]", file: file) }
        }

        if config.kind == .accuracy { config.accuracy = try accuracySpec(map, file: file) }

        switch config.kind {
        case .replay, .accuracy:
            guard config.kind == .accuracy || !config.captures.isEmpty else { throw err("captures", "required: a list of capture files (.h5)") }
            guard !config.methods.isEmpty else { throw err("methods", "required: at least one method, e.g. {method: exact}") }
            // Expanding checks every method name and parameter before any work starts.
            for (i, grid) in config.methods.enumerated() {
                do { _ = try grid.expand() } catch let e as ApproximatorError {
                    throw err("methods[\(i)]", e.description)
                }
            }
        case .uCurve:
            break
        }
        return config
    }

    static func accuracySpec(_ map: Node.Mapping, file: String) throws -> AccuracySpec {
        func err(_ field: String, _ message: String) -> ConfigError { ConfigError(file: file, field: field, message: message) }
        var spec = AccuracySpec()
        if let m = map["model"] {
            guard let s = m.string, !s.isEmpty else { throw err("model", "expected a model name (smollm2, qwen2.5-0.5b) or a GGUF path") }
            spec.model = s
        }
        if let t = map["tasks"] {
            if t.string == "all" {
                spec.tasks = RulerTask.allCases
            } else {
                let names = try stringList(t, field: "tasks", file: file) ?? []
                guard !names.isEmpty else { throw err("tasks", "expected `all` or a non-empty list of task names") }
                spec.tasks = try names.enumerated().map { i, name in
                    do { return try RulerTask.parse(name) } catch { throw err("tasks[\(i)]", "\(error)") }
                }
            }
        }
        if let lengths = try intList(map["lengths"], field: "lengths", file: file) {
            guard !lengths.isEmpty, lengths.allSatisfy({ $0 >= 64 }) else {
                throw err("lengths", "expected a non-empty list of prompt lengths in tokens (each at least 64)")
            }
            spec.lengths = lengths
        }
        if let n = map["samples_per_task"] {
            guard let v = n.int, v >= 1 else { throw err("samples_per_task", "expected a positive integer") }
            spec.samplesPerTask = v
        }
        if let s = map["task_seed"] { spec.taskSeed = UInt64(try nonNegativeInt(s, "task_seed", file)) }
        if let c = map["chat"] {
            guard let b = c.bool else { throw err("chat", "expected true or false") }
            spec.chat = b
        }
        if let setups = try stringList(map["setups"], field: "setups", file: file) {
            guard !setups.isEmpty else { throw err("setups", "expected a non-empty list of A and/or B") }
            spec.setups = try setups.enumerated().map { i, name in
                guard let setup = PromptSetup(rawValue: name.uppercased()) else {
                    throw err("setups[\(i)]", "expected A (prompt prefilled exactly, decode approximated) or B (question tokens approximated too)")
                }
                return setup
            }
        }
        if let m = map["max_new_tokens"] {
            guard let v = m.int, v >= 1 else { throw err("max_new_tokens", "expected a positive integer") }
            spec.maxNewTokens = v
        }
        if let k = map["kv_type"] {
            guard let name = k.string, let type = KVDType(rawValue: name) else {
                throw err("kv_type", "expected float16 or float32")
            }
            spec.kvType = type
        }
        return spec
    }

    static func methodGrid(_ node: Node, field: String, file: String) throws -> MethodGrid {
        guard let map = node.mapping else { throw ConfigError(file: file, field: field, message: "expected {method: NAME, …parameters}") }
        guard let name = map["method"]?.string else {
            throw ConfigError(file: file, field: field, message: "missing 'method'; valid methods: \(ApproximatorRegistry.names.joined(separator: ", "))")
        }
        var grid = MethodGrid(method: name)
        grid.denseLayers = try intList(map["dense_layers"], field: "\(field).dense_layers", file: file)
        for (keyNode, valueNode) in map where keyNode.string != "method" && keyNode.string != "dense_layers" {
            guard let key = keyNode.string else { throw ConfigError(file: file, field: field, message: "parameter names must be strings") }
            let values: [ParameterValue]
            if let seq = valueNode.sequence {
                values = try seq.map { try scalar($0, field: "\(field).\(key)", file: file) }
            } else {
                values = [try scalar(valueNode, field: "\(field).\(key)", file: file)]
            }
            grid.parameters.append((key, values))
        }
        return grid
    }

    static func scalar(_ node: Node, field: String, file: String) throws -> ParameterValue {
        guard let s = node.scalar else { throw ConfigError(file: file, field: field, message: "expected a scalar or a list of scalars") }
        if s.style == .plain {
            if let b = node.bool, ["true", "false"].contains(s.string.lowercased()) { return .bool(b) }
            if let i = node.int { return .int(i) }
            if let d = node.float {
                guard d.isFinite else { throw ConfigError(file: file, field: field, message: "must be a finite number") }
                return .double(d)
            }
        }
        return .string(s.string)
    }

    static func nonNegativeInt(_ node: Node, _ field: String, _ file: String) throws -> Int {
        guard let v = node.int, v >= 0 else { throw ConfigError(file: file, field: field, message: "expected a non-negative integer") }
        return v
    }

    static func intList(_ node: Node?, field: String, file: String) throws -> [Int]? {
        guard let node else { return nil }
        if let v = node.int { return [v] }
        guard let seq = node.sequence else { throw ConfigError(file: file, field: field, message: "expected a list of integers") }
        return try seq.enumerated().map { i, n in
            guard let v = n.int else { throw ConfigError(file: file, field: "\(field)[\(i)]", message: "expected an integer") }
            return v
        }
    }

    static func stringList(_ node: Node?, field: String, file: String) throws -> [String]? {
        guard let node else { return nil }
        if node.scalar != nil, let s = node.string { return [s] }
        guard let seq = node.sequence else { throw ConfigError(file: file, field: field, message: "expected a list of paths") }
        return try seq.enumerated().map { i, n in
            guard n.scalar != nil, let s = n.string else { throw ConfigError(file: file, field: "\(field)[\(i)]", message: "expected a path") }
            return s
        }
    }
}
