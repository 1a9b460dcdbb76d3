import Foundation

/// TopK decode attention for every query head of a layer, the authors' comparison baseline: exact
/// scores over all keys (K streamed once per GQA group), the k highest per query head, softmax and
/// Σ p_i·v_i over those k rows only (V gathered, not streamed).
public enum TopKDecode {
    /// outputs [H·dim], lse [H]; `keep` keys per query head (clamped to 1...n). Ties at the k-th
    /// score go to the lower index, as `Selection.topK`.
    public static func attend(queries: [Float], cache: LayerKV, keep: Int, threads: Int = Parallel.defaultThreadCount)
        -> (outputs: [Float], logSumExp: [Float]) {
        let d = cache.dim, hkv = cache.kvHeads, n = cache.count
        precondition(queries.count % (d * hkv) == 0, "TopKDecode: queries must be [heads, \(d)] with heads a multiple of \(hkv)")
        let heads = queries.count / d, g = heads / hkv
        var outputs = [Float](repeating: 0, count: heads * d), lse = [Float](repeating: -.infinity, count: heads)
        guard n > 0 else { return (outputs, lse) }
        let k = min(max(1, keep), n)
        let scores = UnsafeMutablePointer<Float>.allocateLines(heads * n)
        defer { scores.deallocate() }
        let sp = SendablePointer(scores)
        let scale = 1 / Float(d).squareRoot()
        let scaled = queries.map { $0 * scale }
        // Scores: items are (KV head, chunk of rows) so two threads share even one head's scan.
        let chunks = max(1, min(threads <= 1 ? 1 : (4 * threads + hkv - 1) / hkv, n / 256))
        scaled.withUnsafeBufferPointer { qb in
            let q = SendablePointer(UnsafeMutablePointer(mutating: qb.baseAddress!))
            Parallel.forEach(hkv * chunks, threads: threads) { item in
                let h = item / chunks, c = item % chunks
                let lo = n * c / chunks, hi = n * (c + 1) / chunks
                TopKDecode.scores(head: cache.head(h), queries: UnsafePointer(q.pointer) + h * g * d, group: g, rows: lo..<hi,
                       stride: n, into: sp.pointer + h * g * n + lo)
            }
        }
        let op = SendablePointer(UnsafeMutablePointer<Float>.allocateLines(heads * d))
        let lp = SendablePointer(UnsafeMutablePointer<Float>.allocate(capacity: heads))
        defer { op.pointer.deallocate(); lp.pointer.deallocate() }
        Parallel.forEach(heads, threads: threads) { head in
            let s = sp.pointer + head * n
            let rows = UnsafeMutablePointer<Int32>.allocate(capacity: k)
            let logits = UnsafeMutablePointer<Float>.allocateLines(k)
            defer { rows.deallocate(); logits.deallocate() }
            largest(s, count: n, k: k, into: rows)
            for i in 0..<k { logits[i] = s[Int(rows[i])] }
            lp.pointer[head] = GatherAttention.finish(head: cache.head(head / g), logits: logits, rows: rows, count: k,
                                                      into: op.pointer + head * d)
        }
        outputs.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: op.pointer, count: heads * d) }
        lse.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: lp.pointer, count: heads) }
        return (outputs, lse)
    }

    /// scores[j·stride + i − rows.lowerBound] = q_j·k_i for the G queries [G·dim] of one KV head and
    /// i in `rows` (K streamed once for the group; scale the queries beforehand for q·k/√d).
    public static func scores(head: KVHead, queries: UnsafePointer<Float>, group g: Int, rows: Range<Int>,
                              stride: Int, into out: UnsafeMutablePointer<Float>) {
        switch head.dtype {
        case .float32:
            GroupScores.compute(Float.self, keys: head.keys, rows: ContiguousRows(first: rows.lowerBound), count: rows.count,
                                dim: head.dim, queries: queries, queryCount: g, stride: stride, into: out)
        case .float16:
            GroupScores.compute(Float16.self, keys: head.keys, rows: ContiguousRows(first: rows.lowerBound), count: rows.count,
                                dim: head.dim, queries: queries, queryCount: g, stride: stride, into: out)
        }
    }

    /// The indices of the k largest of x[0..<count], ascending, by radix selection on the
    /// order-preserving bit pattern (11 + 11 + 10 bits): three passes over x instead of a heap's
    /// n·log k comparisons. Ties at the threshold take the lowest indices. k in 0...count.
    public static func largest(_ x: UnsafePointer<Float>, count n: Int, k: Int, into out: UnsafeMutablePointer<Int32>) {
        @inline(__always) func key(_ i: Int) -> UInt32 {
            let b = x[i].bitPattern
            return b & 0x8000_0000 != 0 ? ~b : b | 0x8000_0000
        }
        guard k > 0 else { return }
        var hist = [Int](repeating: 0, count: 2048)
        var prefix: UInt32 = 0, prefixMask: UInt32 = 0, need = k
        var candidates: [Int32] = []
        for (level, (shift, bits)) in [(21, 11), (10, 11), (0, 10)].enumerated() {
            let mask = UInt32((1 << bits) - 1)
            for b in 0..<(1 << bits) { hist[b] = 0 }
            if level == 0 {
                for i in 0..<n { hist[Int(key(i) >> 21)] += 1 }
            } else {
                for i in candidates { hist[Int((key(Int(i)) >> UInt32(shift)) & mask)] += 1 }
            }
            var b = (1 << bits) - 1, above = 0
            while above + hist[b] < need { above += hist[b]; b -= 1 }
            need -= above
            prefix |= UInt32(b) << UInt32(shift)
            prefixMask |= mask << UInt32(shift)
            if level == 0 {
                candidates.reserveCapacity(hist[b])
                for i in 0..<n where key(i) & prefixMask == prefix { candidates.append(Int32(i)) }
            } else {
                candidates = candidates.filter { key(Int($0)) & prefixMask == prefix }
            }
        }
        // prefix is now the k-th largest key; take every larger key and the first `need` equal ones.
        var found = 0
        for i in 0..<n {
            let kk = key(i)
            if kk > prefix || (kk == prefix && need > 0) {
                if kk == prefix { need -= 1 }
                out[found] = Int32(i)
                found += 1
            }
        }
    }
}
