import Foundation

/// Attention of one query over an explicit list of rows of one KV head of a `LayerKV` — the
/// second half of every sparse decode method (MagicPIG's sampled set, TopK's kept keys). Split in
/// two so a method can adjust the logits between them (MagicPIG subtracts ln(u + 1e−4)):
/// `dots` gathers q·k for the rows, `finish` takes softmax, log-sum-exp and Σ p_i·v_i.
///
/// Rows given in ascending order stream through memory in address order, which the hardware
/// prefetchers follow far better than random order.
public enum GatherAttention {
    /// out[i] = q·k_{rows[i]} (no scale) for i < count.
    public static func dots(head: KVHead, query: UnsafePointer<Float>, rows: UnsafePointer<Int32>,
                            count: Int, into out: UnsafeMutablePointer<Float>) {
        switch head.dtype {
        case .float32: dots(Float.self, head, query, rows, count, out)
        case .float16: dots(Float16.self, head, query, rows, count, out)
        }
    }

    /// Group dots: out[j·stride + i] = q_j·k_{rows[i]} for the g queries [g·dim] of one KV head,
    /// each row read once for the group. Query j's numbers equal its single `dots`.
    public static func dots(head: KVHead, queries: UnsafePointer<Float>, group g: Int, rows: UnsafePointer<Int32>,
                            count: Int, stride: Int, into out: UnsafeMutablePointer<Float>) {
        switch head.dtype {
        case .float32:
            GroupScores.compute(Float.self, keys: head.keys, rows: ListedRows(rows: rows), count: count, dim: head.dim,
                                queries: queries, queryCount: g, stride: stride, into: out)
        case .float16:
            GroupScores.compute(Float16.self, keys: head.keys, rows: ListedRows(rows: rows), count: count, dim: head.dim,
                                queries: queries, queryCount: g, stride: stride, into: out)
        }
    }

    /// Group weighted sum: out[j·dim ..< (j+1)·dim] += Σ_i weights[j·stride + i]·v_{rows[i]},
    /// each row read once for the group. A zero weight leaves query j's sum bit for bit as if
    /// the row were not listed (finite values).
    public static func weightedSum(head: KVHead, weights: UnsafePointer<Float>, group g: Int, rows: UnsafePointer<Int32>,
                                   count: Int, stride: Int, into out: UnsafeMutablePointer<Float>) {
        switch head.dtype {
        case .float32:
            GroupScores.accumulate(Float.self, values: head.values, rows: ListedRows(rows: rows), count: count, dim: head.dim,
                                   weights: weights, queryCount: g, stride: stride, into: out)
        case .float16:
            GroupScores.accumulate(Float16.self, values: head.values, rows: ListedRows(rows: rows), count: count, dim: head.dim,
                                   weights: weights, queryCount: g, stride: stride, into: out)
        }
    }

    /// Softmax of logits[0..<count] (in place), output = Σ p_i·v_{rows[i]}; returns the
    /// log-sum-exp, −∞ with a zero output for an empty set (a part with no keys weighs nothing).
    @discardableResult
    public static func finish(head: KVHead, logits: UnsafeMutablePointer<Float>, rows: UnsafePointer<Int32>,
                              count: Int, into output: UnsafeMutablePointer<Float>) -> Float {
        output.update(repeating: 0, count: head.dim)
        guard count > 0 else { return -.infinity }
        let lse = Softmax.inPlace(logits, count: count)
        switch head.dtype {
        case .float32: weightedGather(Float.self, head, logits, rows, count, output)
        case .float16: weightedGather(Float16.self, head, logits, rows, count, output)
        }
        return lse
    }

    /// One query's dots through the shared tiles (eight listed rows in flight, rows prefetched
    /// ahead).
    static func dots<E: KVElement>(_: E.Type, _ head: KVHead, _ query: UnsafePointer<Float>,
                                   _ rows: UnsafePointer<Int32>, _ count: Int, _ out: UnsafeMutablePointer<Float>) {
        GroupScores.compute(E.self, keys: head.keys, rows: ListedRows(rows: rows), count: count, dim: head.dim,
                            queries: query, queryCount: 1, stride: count, into: out)
    }

    static func weightedGather<E: KVElement>(_: E.Type, _ head: KVHead, _ weights: UnsafePointer<Float>,
                                             _ rows: UnsafePointer<Int32>, _ count: Int, _ output: UnsafeMutablePointer<Float>) {
        GroupScores.accumulate(E.self, values: head.values, rows: ListedRows(rows: rows), count: count, dim: head.dim,
                               weights: weights, queryCount: 1, stride: count, into: output)
    }
}
