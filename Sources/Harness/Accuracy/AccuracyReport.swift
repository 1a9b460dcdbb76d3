import Foundation

/// The tables of an accuracy run: accuracy.csv (one row per length, task, setup and method configuration,
/// seeds pooled), ruler_table.csv / .md (RULER's layout: tasks as columns, their mean per length), and
/// predictions.jsonl.
public enum AccuracyReport {
    /// One accuracy.csv row.
    public struct Row: Sendable {
        public var length: Int
        public var task: String
        public var setup: PromptSetup
        public var methodID: String
        public var method: String
        public var parameters: String
        public var seeds: [UInt64]
        public var samples: Int
        /// Mean score ×100 and its 95 % half-interval (normal approximation over answers).
        public var score: Double
        public var ci95: Double
        /// Paired with the reference on the same prompts: mean difference ×100 and its 95 % half-interval.
        public var minusExact: Double
        public var minusExactCI95: Double
        public var costFraction: Double?
        public var keysFraction: Double?
        public var agreement: Double
        public var meanKL: Double
        public var exactMismatches: Int?
        /// Why the row deserves a second look ("" when none): a method significantly better than exact, or
        /// exact through the approximator path that did not reproduce plain decoding.
        public var flag: String
    }

    public static func rows(_ records: [AccuracyRecord]) -> [Row] {
        var order: [String] = []
        var groups: [String: [AccuracyRecord]] = [:]
        var references: [String: Double] = [:]
        for r in records {
            let key = "\(r.length)|\(r.task)|\(r.setup.rawValue)|\(r.methodID)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(r)
            if r.isReference { references["\(r.length)|\(r.task)|\(r.setup.rawValue)|\(r.index)"] = r.score }
        }
        return order.map { key in
            let g = groups[key]!
            let first = g[0]
            let scores = g.map { $0.score * 100 }
            let differences = g.compactMap { r in
                references["\(r.length)|\(r.task)|\(r.setup.rawValue)|\(r.index)"].map { r.score * 100 - $0 * 100 }
            }
            let (mean, half) = meanAndInterval(scores)
            let (diff, diffHalf) = meanAndInterval(differences)
            let costs = g.compactMap(\.costFraction), keys = g.compactMap(\.keysFraction)
            let mismatches = first.method == "exact" && !first.isReference
                ? g.filter { $0.matchesPlainExact == false }.count : nil
            var flags: [String] = []
            if !first.isReference, differences.count > 1, diff - diffHalf > 0 {
                flags.append("beats exact beyond its 95% interval")
            }
            if let mismatches, mismatches > 0 { flags.append("exact through the seam differs from plain decoding in \(mismatches) answers") }
            return Row(length: first.length, task: first.task, setup: first.setup, methodID: first.methodID,
                       method: first.method, parameters: first.parameters,
                       seeds: Array(Set(g.map(\.seed))).sorted(), samples: g.count, score: mean, ci95: half,
                       minusExact: diff, minusExactCI95: diffHalf,
                       costFraction: costs.isEmpty ? nil : costs.reduce(0, +) / Double(costs.count),
                       keysFraction: keys.isEmpty ? nil : keys.reduce(0, +) / Double(keys.count),
                       agreement: g.map(\.agreement).reduce(0, +) / Double(g.count),
                       meanKL: g.map(\.meanKL).reduce(0, +) / Double(g.count),
                       exactMismatches: mismatches, flag: flags.joined(separator: "; "))
        }
    }

    /// Mean and the 95 % half-interval 1.96·s/√n (0 for fewer than two values).
    static func meanAndInterval(_ values: [Double]) -> (Double, Double) {
        guard !values.isEmpty else { return (.nan, .nan) }
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        guard values.count > 1 else { return (mean, 0) }
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)
        return (mean, 1.96 * (variance / n).squareRoot())
    }

    /// How many of a model's layers a configuration keeps exact: the accounting of keys over all layers.
    public struct LayerAccounting: Sendable {
        public var layers: Int
        public var denseLayers: [String: Int]
        public var protocolDense: Int
        public init(layers: Int, denseLayers: [String: Int], protocolDense: Int) {
            self.layers = layers
            self.denseLayers = denseLayers
            self.protocolDense = protocolDense
        }

        /// Keys attended over all layers, the exact ones counted whole: (D + (N − D)·f) / N for a method
        /// attending a fraction f of the keys in its N − D sparse layers; 1 for plain decoding.
        public func keysAllLayers(_ r: Row) -> Double? {
            guard !(r.methodID == AccuracyRecord.referenceID) else { return 1 }
            guard let f = r.keysFraction, layers > 0 else { return nil }
            let d = Double(min(layers, denseLayers[r.methodID] ?? protocolDense))
            return (d + (Double(layers) - d) * f) / Double(layers)
        }
    }

    public static func accuracyTable(_ rows: [Row], model: String, layers: LayerAccounting? = nil,
                                     protocolText: (PromptSetup, _ methodID: String) -> String) -> CSVTable {
        var table = CSVTable(columns: [
            "model", "task", "context", "setup", "method", "method_id", "parameters", "seeds", "protocol", "samples",
            "score", "ci95", "score_minus_exact", "score_minus_exact_ci95", "cost_fraction", "keys_fraction",
            "keys_fraction_all_layers", "token_agreement", "mean_kl", "flag"])
        for r in rows {
            table.append([
                model, r.task, String(r.length), r.setup.rawValue, r.method, r.methodID, r.parameters,
                r.seeds.map(String.init).joined(separator: " "), protocolText(r.setup, r.methodID), String(r.samples),
                Format.number(r.score), Format.number(r.ci95), Format.number(r.minusExact), Format.number(r.minusExactCI95),
                Format.number(r.costFraction), Format.number(r.keysFraction), Format.number(layers?.keysAllLayers(r)),
                Format.number(r.agreement), Format.number(r.meanKL), r.flag])
        }
        return table
    }

    /// RULER's summary: per (length, setup, method) the score of every task and their mean.
    public static func rulerTable(_ rows: [Row], layers: LayerAccounting? = nil) -> CSVTable {
        let tasks = unique(rows.map(\.task))
        var table = CSVTable(columns: ["context", "setup", "method_id", "cost_fraction", "keys_all_layers", "average"] + tasks + ["flags"])
        var order: [String] = []
        var groups: [String: [Row]] = [:]
        for r in rows {
            let key = "\(r.length)|\(r.setup.rawValue)|\(r.methodID)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(r)
        }
        for key in order {
            let g = groups[key]!
            let byTask = Dictionary(g.map { ($0.task, $0.score) }, uniquingKeysWith: { a, _ in a })
            let costs = g.compactMap(\.costFraction), keys = g.compactMap { layers?.keysAllLayers($0) }
            let flagged = g.filter { !$0.flag.isEmpty }.map(\.task)
            table.append([String(g[0].length), g[0].setup.rawValue, g[0].methodID,
                          costs.isEmpty ? "" : Format.number(costs.reduce(0, +) / Double(costs.count)),
                          keys.isEmpty ? "" : Format.number(keys.reduce(0, +) / Double(keys.count)),
                          Format.number(g.map(\.score).reduce(0, +) / Double(g.count))]
                         + tasks.map { byTask[$0].map { Format.number(($0 * 10).rounded() / 10) } ?? "" }
                         + [flagged.isEmpty ? "" : "flagged: " + flagged.joined(separator: " ")])
        }
        return table
    }

    /// The RULER table as Markdown, for the results README.
    public static func markdown(_ table: CSVTable) -> String {
        var out = "| " + table.columns.joined(separator: " | ") + " |\n"
        out += "|" + String(repeating: " --- |", count: table.columns.count) + "\n"
        for row in table.rows {
            out += "| " + row.enumerated().map { i, v in
                guard let x = Double(v), table.columns[i] == "average" || !["context", "setup", "method_id", "cost_fraction", "keys_all_layers"].contains(table.columns[i]) else { return v }
                return String(format: "%.1f", x)
            }.joined(separator: " | ") + " |\n"
        }
        return out
    }

    public static func predictionsJSONL(_ records: [AccuracyRecord]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try records.map { String(decoding: try encoder.encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n"
    }

    static func unique(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }
}
