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

    static func dots<E: KVElement>(_: E.Type, _ head: KVHead, _ query: UnsafePointer<Float>,
                                   _ rows: UnsafePointer<Int32>, _ count: Int, _ out: UnsafeMutablePointer<Float>) {
        let d = head.dim, chunks = d / 16, kb = head.keys, rq = UnsafeRawPointer(query)
        var i = 0
        while i + 4 <= count {
            let e0 = Int(rows[i]) * d, e1 = Int(rows[i + 1]) * d, e2 = Int(rows[i + 2]) * d, e3 = Int(rows[i + 3]) * d
            var a0 = SIMD16<Float>(), a1 = a0, a2 = a0, a3 = a0
            for c in 0..<chunks {
                let q = rq.loadUnaligned(fromByteOffset: c * 64, as: SIMD16<Float>.self)
                a0 += q * E.load16(kb, e0 + c * 16)
                a1 += q * E.load16(kb, e1 + c * 16)
                a2 += q * E.load16(kb, e2 + c * 16)
                a3 += q * E.load16(kb, e3 + c * 16)
            }
            var s = AttentionKernel.reduce4(a0, a1, a2, a3)
            for e in (chunks * 16)..<d {
                s += query[e] * SIMD4(E.load1(kb, e0 + e), E.load1(kb, e1 + e), E.load1(kb, e2 + e), E.load1(kb, e3 + e))
            }
            UnsafeMutableRawPointer(out + i).storeBytes(of: s, as: SIMD4<Float>.self)
            i += 4
        }
        while i < count {
            let e0 = Int(rows[i]) * d
            var a0 = SIMD16<Float>()
            for c in 0..<chunks { a0 += rq.loadUnaligned(fromByteOffset: c * 64, as: SIMD16<Float>.self) * E.load16(kb, e0 + c * 16) }
            var s = a0.sum()
            for e in (chunks * 16)..<d { s += query[e] * E.load1(kb, e0 + e) }
            out[i] = s
            i += 1
        }
    }

    static func weightedGather<E: KVElement>(_: E.Type, _ head: KVHead, _ weights: UnsafePointer<Float>,
                                             _ rows: UnsafePointer<Int32>, _ count: Int, _ output: UnsafeMutablePointer<Float>) {
        let d = head.dim, vb = head.values, ro = UnsafeMutableRawPointer(output)
        // 128 dims (8 slices) at a time in registers across all rows.
        var c0 = 0
        while c0 < d / 16 {
            let n = min(8, d / 16 - c0)
            var s = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(),
                     SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
            if n == 8 {
                for i in 0..<count {
                    let w = weights[i], e = Int(rows[i]) * d + c0 * 16
                    s.0 += E.load16(vb, e) * w; s.1 += E.load16(vb, e + 16) * w
                    s.2 += E.load16(vb, e + 32) * w; s.3 += E.load16(vb, e + 48) * w
                    s.4 += E.load16(vb, e + 64) * w; s.5 += E.load16(vb, e + 80) * w
                    s.6 += E.load16(vb, e + 96) * w; s.7 += E.load16(vb, e + 112) * w
                }
                let o = c0 * 64
                ro.storeBytes(of: s.0, toByteOffset: o, as: SIMD16<Float>.self)
                ro.storeBytes(of: s.1, toByteOffset: o + 64, as: SIMD16<Float>.self)
                ro.storeBytes(of: s.2, toByteOffset: o + 128, as: SIMD16<Float>.self)
                ro.storeBytes(of: s.3, toByteOffset: o + 192, as: SIMD16<Float>.self)
                ro.storeBytes(of: s.4, toByteOffset: o + 256, as: SIMD16<Float>.self)
                ro.storeBytes(of: s.5, toByteOffset: o + 320, as: SIMD16<Float>.self)
                ro.storeBytes(of: s.6, toByteOffset: o + 384, as: SIMD16<Float>.self)
                ro.storeBytes(of: s.7, toByteOffset: o + 448, as: SIMD16<Float>.self)
            } else {
                for c in c0..<(c0 + n) {
                    var a = SIMD16<Float>()
                    for i in 0..<count { a += E.load16(vb, Int(rows[i]) * d + c * 16) * weights[i] }
                    ro.storeBytes(of: a, toByteOffset: c * 64, as: SIMD16<Float>.self)
                }
            }
            c0 += n
        }
        for e in ((d / 16) * 16)..<d {
            var a: Float = 0
            for i in 0..<count { a += E.load1(vb, Int(rows[i]) * d + e) * weights[i] }
            output[e] = a
        }
    }
}
