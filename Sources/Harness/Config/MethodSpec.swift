import Approximators

/// A method on the command line: `NAME[:param=value,param=value]`, e.g. `magicpig:K=10,L=150`
/// or `topk:budget=0.02`. Values are parsed like YAML scalars (integers, numbers, true/false,
/// strings).
public enum MethodSpec {
    public static func parse(_ text: String) throws -> MethodConfiguration {
        let (name, rest) = text.firstIndex(of: ":").map { (String(text[..<$0]), String(text[text.index(after: $0)...])) } ?? (text, "")
        var grid = MethodGrid(method: name)
        for pair in rest.split(separator: ",") where !pair.isEmpty {
            guard let eq = pair.firstIndex(of: "=") else {
                throw ApproximatorError.badParameter(method: name, name: String(pair), reason: "write parameters as name=value, e.g. \(name):K=10,L=150")
            }
            grid.parameters.append((String(pair[..<eq]), [scalar(String(pair[pair.index(after: eq)...]))]))
        }
        return try grid.expand()[0]
    }

    static func scalar(_ s: String) -> ParameterValue {
        if let i = Int(s) { return .int(i) }
        if let d = Double(s), d.isFinite { return .double(d) }
        if s == "true" || s == "false" { return .bool(s == "true") }
        return .string(s)
    }

    /// The spec string that parses back to this configuration.
    public static func format(_ c: MethodConfiguration) -> String {
        c.parameters.isEmpty ? c.method : c.method + ":" + c.parameters.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
    }
}
