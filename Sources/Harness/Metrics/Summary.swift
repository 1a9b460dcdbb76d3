import Approximators
import Foundation

/// Distribution summary of one metric over queries and seeds. Importance weights make heavy
/// tails, so the p90 and max sit beside the mean and its 95 % interval.
public struct Distribution: Sendable, Equatable {
    public var count: Int
    public var mean: Double
    /// Normal-approximation 95 % interval of the mean (queries treated as independent draws).
    public var ci95Low: Double
    public var ci95High: Double
    public var p90: Double
    public var max: Double

    public init(_ values: [Double]) {
        count = values.count
        guard !values.isEmpty else {
            mean = .nan; ci95Low = .nan; ci95High = .nan; p90 = .nan; max = .nan
            return
        }
        let m = values.reduce(0, +) / Double(values.count)
        mean = m
        let variance = values.count > 1
            ? values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1) : 0
        let half = 1.96 * (variance / Double(values.count)).squareRoot()
        ci95Low = m - half
        ci95High = m + half
        let sorted = values.sorted()
        p90 = Self.quantile(sorted, 0.9)
        self.max = sorted.last!
    }

    /// Linear interpolation between closest ranks (numpy's default).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let pos = q * Double(sorted.count - 1)
        let lo = Int(pos.rounded(.down)), hi = Swift.min(lo + 1, sorted.count - 1)
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - Double(lo))
    }
}

/// summary.csv: one row per method configuration (and optionally per concentration class),
/// over the sparse layers' queries and all seeds.
public enum SummaryTable {
    public static let columns = [
        "method", "config", "params", "K", "L", "budget", "sink", "local", "dense_layers", "concentration", "layer",
        "cost_fraction", "keys_attended_fraction", "keys_scored_fraction", "flops_per_query", "sampled_mean",
        "rel_l2_mean", "rel_l2_ci95_low", "rel_l2_ci95_high", "rel_l2_p90", "rel_l2_max",
        "one_minus_cos_mean", "one_minus_cos_p90", "tv_mean", "recall_mean",
        "exact_top_mass_mean", "dominant_queries", "top_key_u_mean", "top_key_u_dominant_mean", "n_queries", "n_seeds",
    ]

    /// A query whose heaviest sampleable key holds at least this much of the exact attention: the key is the
    /// answer (a retrieval), and a method that misses it loses it.
    public static let dominantKeyMass = 0.3

    /// How a summary splits each configuration's queries: not at all (summary.csv), by the concentration
    /// of exact attention, or by layer (where in the model a method's error sits).
    public enum Grouping: Sendable { case all, concentration, layer }

    /// Rows of `metrics` grouped by configuration and `grouping`; every row records the protocol it was
    /// measured under.
    public static func build(configurations: [MethodConfiguration], metrics: [QueryMetrics], by grouping: Grouping,
                             protocol attentionProtocol: AttentionProtocol, denseLayers: [Int]) -> CSVTable {
        let protocolColumns = [
            "sink": String(attentionProtocol.sinkTokens), "local": String(attentionProtocol.localWindow),
        ]
        var table = CSVTable(columns: columns)
        let sparse = metrics.filter { !$0.dense }
        let byConfig = Dictionary(grouping: sparse, by: \.config)
        for configuration in configurations {
            let rows = byConfig[configuration.id] ?? []
            let groups: [(concentration: String, layer: String, rows: [QueryMetrics])]
            switch grouping {
            case .all:
                groups = [("all", "all", rows)]
            case .concentration:
                groups = Concentration.allCases.map { c in (c.rawValue, "all", rows.filter { $0.concentration == c }) }
            case .layer:
                groups = Set(rows.map(\.layer)).sorted().map { l in ("all", String(l), rows.filter { $0.layer == l }) }
            }
            for group in groups where !group.rows.isEmpty || grouping == .all {
                let dense = configuration.denseLayers(protocol: denseLayers).map(String.init).joined(separator: " ")
                let extra = protocolColumns.merging(["dense_layers": dense, "layer": group.layer]) { a, _ in a }
                table.append(row(configuration, group.concentration, group.rows).merging(extra) { a, _ in a })
            }
        }
        return table
    }

    static func row(_ c: MethodConfiguration, _ concentration: String, _ rows: [QueryMetrics]) -> [String: String] {
        func mean(_ xs: [Double]) -> Double? { xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count) }
        let rel = Distribution(rows.map(\.relL2))
        let cos = Distribution(rows.map(\.oneMinusCos))
        return [
            "method": c.method, "config": c.id, "params": c.parameterSummary,
            "K": c.value("K"), "L": c.value("L"), "budget": c.value("budget"), "concentration": concentration,
            "cost_fraction": Format.number(mean(rows.map(\.costFraction))),
            "keys_attended_fraction": Format.number(mean(rows.map(\.keysAttendedFraction))),
            "keys_scored_fraction": Format.number(mean(rows.map(\.keysScoredFraction))),
            "flops_per_query": Format.number(mean(rows.map(\.flops))),
            "sampled_mean": Format.number(mean(rows.compactMap { $0.sampled.map(Double.init) })),
            "rel_l2_mean": Format.number(rel.mean), "rel_l2_ci95_low": Format.number(rel.ci95Low),
            "rel_l2_ci95_high": Format.number(rel.ci95High), "rel_l2_p90": Format.number(rel.p90),
            "rel_l2_max": Format.number(rel.max),
            "one_minus_cos_mean": Format.number(cos.mean), "one_minus_cos_p90": Format.number(cos.p90),
            "tv_mean": Format.number(mean(rows.compactMap(\.tv))),
            "recall_mean": Format.number(mean(rows.compactMap(\.recall))),
            "exact_top_mass_mean": Format.number(mean(rows.map(\.exactTopMass))),
            "dominant_queries": String(rows.filter { ($0.topKeyMass ?? 0) >= dominantKeyMass }.count),
            "top_key_u_mean": Format.number(mean(rows.compactMap(\.topKeyU))),
            "top_key_u_dominant_mean": Format.number(mean(rows.filter { ($0.topKeyMass ?? 0) >= dominantKeyMass }.compactMap(\.topKeyU))),
            "n_queries": String(rows.count), "n_seeds": String(Set(rows.map(\.seed)).count),
        ]
    }

    public static let metricColumns = [
        "capture", "sample", "layer", "head", "kv_head", "step", "position", "keys", "dense",
        "method", "config", "seed", "rel_l2", "one_minus_cos", "tv", "recall", "cost_fraction",
        "keys_attended_fraction", "keys_scored_fraction", "flops", "sampled", "exact_entropy", "exact_top_mass",
        "concentration", "top_key_mass", "top_key_u",
    ]

    /// metrics.csv: every query of every configuration and seed.
    public static func metricsTable(_ metrics: [QueryMetrics], methodOf: [String: String]) -> CSVTable {
        var table = CSVTable(columns: metricColumns)
        for m in metrics {
            table.append([
                m.capture, String(m.sample), String(m.layer), String(m.head), String(m.kvHead), String(m.step),
                String(m.position), String(m.keys), m.dense ? "1" : "0", methodOf[m.config] ?? "", m.config,
                String(m.seed), Format.number(m.relL2), Format.number(m.oneMinusCos), Format.number(m.tv),
                Format.number(m.recall), Format.number(m.costFraction), Format.number(m.keysAttendedFraction),
                Format.number(m.keysScoredFraction), Format.number(m.flops), m.sampled.map(String.init) ?? "",
                Format.number(m.exactEntropy), Format.number(m.exactTopMass), m.concentration.rawValue,
                Format.number(m.topKeyMass), Format.number(m.topKeyU),
            ])
        }
        return table
    }
}
