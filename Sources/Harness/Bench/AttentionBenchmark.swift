import Approximators
import Foundation
import Kernels

/// Decode-step speed of the CPU attention kernels for all heads of one layer over a long synthetic
/// cache: dense (`DecodeAttention`), MagicPIG's CPU part (`MagicPIGDecode`, static set included)
/// and TopK (`TopKDecode`), against the machine's measured memory read bandwidth.
///
/// The synthetic cache is shaped so MagicPIG samples a realistic share of the middle: keys are a
/// common offset (removed by centring, as in real models) plus isotropic noise, and 1 % of them
/// point along a per-KV-head direction the queries also point along — the keys that carry most
/// of the attention. cos(q, k̃) is then ≈ N(0, 1/√d) for the background (u ≈ 1.5 % at K10 L150)
/// and ≈ 0.5 for the cluster, which together give |S|/n_middle ≈ 2 %, the authors' figure.
public struct AttentionBenchmark: Sendable {
    public var contexts: [Int]
    public var bits: Int
    public var tables: Int
    public var threads: Int
    public var dtype: KVDType
    public var topKFraction: Double
    public var heads: Int
    public var kvHeads: Int
    public var dim: Int
    public var warmupSteps: Int
    public var timedSteps: Int
    public var seed: UInt64
    public var attentionProtocol: AttentionProtocol
    public var progress: Progress
    /// Bytes of the bandwidth probes' buffer: far larger than the last-level cache (tests use a small one).
    public var probeBytes = 512 << 20

    public init(contexts: [Int] = [4096, 16384, 65536, 131072], bits: Int = 10, tables: Int = 150, threads: Int = 1,
                dtype: KVDType = .float32, topKFraction: Double = 0.02, heads: Int = 32, kvHeads: Int = 8, dim: Int = 128,
                warmupSteps: Int = 2, timedSteps: Int = 7, seed: UInt64 = 0,
                attentionProtocol: AttentionProtocol = AttentionProtocol(), progress: Progress = Progress()) {
        self.contexts = contexts
        self.bits = bits
        self.tables = tables
        self.threads = threads
        self.dtype = dtype
        self.topKFraction = topKFraction
        self.heads = heads
        self.kvHeads = kvHeads
        self.dim = dim
        self.warmupSteps = warmupSteps
        self.timedSteps = timedSteps
        self.seed = seed
        self.attentionProtocol = attentionProtocol
        self.progress = progress
    }

    public static let columns = [
        "context", "method", "K", "L", "threads", "dtype", "heads", "kv_heads", "head_dim", "ms_per_step",
        "bytes_per_step", "gb_per_s", "read_bandwidth_gb_per_s", "bandwidth_share", "scattered_read_gb_per_s",
        "scattered_share", "speedup_vs_dense", "speedup_if_dense_gb_per_s", "speedup_if_scattered_gb_per_s", "cost_fraction",
        "kv_bytes", "table_bytes",
        "table_bytes_limit", "build_seconds", "steps",
    ]

    public func run() throws -> CSVTable {
        guard heads % kvHeads == 0, dim % 16 == 0 else {
            throw HarnessError.badArgument("bench attention: heads (\(heads)) must be a multiple of kv heads (\(kvHeads)) and head_dim (\(dim)) of 16")
        }
        // One probe for the whole run: its buffer is touched once, then read between the methods' steps.
        progress.say("preparing the read-bandwidth probe (\(threads) thread(s))…")
        let probe = Bandwidth(bytes: probeBytes, rowBytes: dim * dtype.bytesPerElement, every: Self.scatteredEvery, threads: threads)
        progress.say("read bandwidth: \(Format.number(probe.streaming(repeats: 3))) GB/s streaming, "
                     + "\(Format.number(probe.scattered(repeats: 3))) GB/s in scattered \(dim * dtype.bytesPerElement)-byte rows")
        var table = CSVTable(columns: Self.columns)
        let memory = Double(ProcessInfo.processInfo.physicalMemory)
        for n in contexts {
            let kvBytes = 2 * kvHeads * n * dim * dtype.bytesPerElement
            let limit = tables * n * 4 * kvHeads
            // K/V, tables (≤ limit), TopK scores, one Float copy of a head's middle per builder, the probe.
            let need = Double(kvBytes + limit + heads * n * 4 + threads * n * dim * 8 + probeBytes)
            guard need < 0.8 * memory else {
                progress.say("skipping context \(n): needs about \(Format.number(need / 1e9)) GB of the \(Format.number(memory / 1e9)) GB here")
                continue
            }
            try measure(context: n, probe: probe, into: &table)
        }
        return table
    }

    /// One row in this many for the scattered-read probe: about the density of the rows MagicPIG K10 L150
    /// reads per KV head here (the union of a GQA group's samples, 6–7 % of the cache).
    public static let scatteredEvery = 16

    /// Writes the CSV atomically and `<path>.manifest.json` beside it (machine, threads, commit).
    public func write(_ table: CSVTable, to path: String, started: Date) throws {
        try table.write(to: path)
        let git = GitInfo.commit()
        let manifest = Manifest(gitCommit: git.hash, gitDirty: git.dirty, command: CommandLine.arguments,
                                config: "bench attention \(dtype.rawValue) K\(bits) L\(tables)",
                                machine: MachineInfo.current(), threads: threads, seeds: [seed], captures: [],
                                started: Manifest.timestamp(started), finished: Manifest.timestamp(),
                                wallSeconds: Date().timeIntervalSince(started), cellsComputed: table.rows.count,
                                cellsReused: 0)
        try manifest.write(to: path + ".manifest.json")
    }

    /// Times the three methods step by step in turn (dense, MagicPIG, TopK, then both bandwidth probes, for
    /// each step's queries), so every method and both ceilings see the same state of a shared machine: the
    /// speedups are medians of per-step ratios and the shares medians of per-step shares, not ratios of
    /// medians taken seconds apart (this VM's memory bandwidth moved by ±15 % between runs of one binary).
    func measure(context n: Int, probe: Bandwidth, into table: inout CSVTable) throws {
        let started = Date()
        let cache = LayerKV(kvHeads: kvHeads, dim: dim, capacity: n, dtype: dtype)
        let directions = fillCache(cache)
        let steps = warmupSteps + timedSteps
        let queries = (0..<steps).map { makeQueries(step: $0, directions: directions) }
        progress.say("context \(n): cache of \(Format.number(Double(cache.kvBytes) / 1e6)) MB ready in \(Format.number(Date().timeIntervalSince(started))) s")

        // MagicPIG: tables built once (timed) before the steps.
        var generator = SeededGenerator(seed: seed, stream: [0x5349_4D48])
        let w = SimHashProjection(dim: dim, bits: bits, tables: tables, generator: &generator)
        let layout = attentionProtocol.layout(promptLength: n)
        let buildStart = Date()
        let magicpig = MagicPIGDecode(cache: cache, layout: layout, projections: [w], threads: threads)
        let buildSeconds = Date().timeIntervalSince(buildStart)
        let keep = max(1, Int((topKFraction * Double(n)).rounded(.towardZero)))

        var sampledTotal = 0, rowsReadTotal = 0
        let methods: [(name: String, step: ([Float]) -> Float)] = [
            ("dense", { q in DecodeAttention.attend(queries: q, cache: cache, threads: threads).outputs[0] }),
            ("magicpig", { q in
                let r = magicpig.attend(queries: q, threads: threads)
                sampledTotal += r.sampled.reduce(0, +); rowsReadTotal += r.rowsRead.reduce(0, +)
                return r.outputs[0]
            }),
            ("topk", { q in TopKDecode.attend(queries: q, cache: cache, keep: keep, threads: threads).outputs[0] }),
        ]
        var ms = [[Double]](repeating: [], count: methods.count)
        var streaming: [Double] = [], scattered: [Double] = []
        var sink: Float = 0
        for (i, q) in queries.enumerated() {
            for (m, method) in methods.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds
                sink += method.step(q)
                let t = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-6
                if i >= warmupSteps { ms[m].append(t) }
            }
            let s = probe.streaming(), g = probe.scattered()
            if i >= warmupSteps { streaming.append(s); scattered.append(g) }
        }
        if sink.isNaN { progress.say("warning: a step produced NaN") }

        func median(_ x: [Double]) -> Double { let s = x.sorted(); return s.isEmpty ? .nan : s[s.count / 2] }
        let bytes: [Double] = [
            Double(cache.kvBytes),
            // Each KV head's group reads the union of its queries' T ∪ S_j once (K and V of every row).
            Double(rowsReadTotal) / Double(max(1, steps)) * Double(2 * dim * dtype.bytesPerElement),
            Double(cache.kvBytes / 2) + Double(heads * keep * dim * dtype.bytesPerElement),
        ]
        let meanSampled = Double(sampledTotal) / Double(max(1, steps * heads))
        let extra: [[String: String]] = [
            ["cost_fraction": "1"],
            ["K": String(bits), "L": String(tables),
             "cost_fraction": Format.number(meanSampled / Double(max(1, layout.middle.count))),
             "table_bytes": String(magicpig.tableBytes), "table_bytes_limit": String(tables * n * 4 * kvHeads),
             "build_seconds": Format.number(buildSeconds)],
            ["cost_fraction": Format.number(Double(keep) / Double(n))],
        ]
        for (m, method) in methods.enumerated() {
            let gbs = ms[m].map { bytes[m] / ($0 * 1e-3) / 1e9 }
            var r: [String: String] = [
                "context": String(n), "method": method.name, "threads": String(threads), "dtype": dtype.rawValue,
                "heads": String(heads), "kv_heads": String(kvHeads), "head_dim": String(dim), "kv_bytes": String(cache.kvBytes),
                "steps": String(timedSteps), "ms_per_step": Format.number(median(ms[m])), "bytes_per_step": Format.number(bytes[m]),
                "gb_per_s": Format.number(median(gbs)),
                "read_bandwidth_gb_per_s": Format.number(median(streaming)),
                "bandwidth_share": Format.number(median(zip(gbs, streaming).map { $0 / $1 })),
                "scattered_read_gb_per_s": Format.number(median(scattered)),
                "scattered_share": Format.number(median(zip(gbs, scattered).map { $0 / $1 })),
                "speedup_vs_dense": Format.number(median(zip(ms[0], ms[m]).map { $0 / $1 })),
                // The speedup this method would have if its reads ran at dense attention's GB/s: the byte-count
                // bound that its measured speedup_vs_dense is compared with (scattered rows read slower).
                "speedup_if_dense_gb_per_s": Format.number(Double(cache.kvBytes) / bytes[m]),
                // The speedup if this method read its bytes at the scattered probe's rate while dense read at its
                // measured rate, per step: the ceiling a gathering method's speedup_vs_dense is compared with here.
                "speedup_if_scattered_gb_per_s": Format.number(median(zip(ms[0], scattered).map { dense, rate in
                    Double(cache.kvBytes) / bytes[m] * rate / (Double(cache.kvBytes) / (dense * 1e-3) / 1e9)
                })),
            ]
            for (k, v) in extra[m] { r[k] = v }
            table.append(r)
            progress.say("context \(n) \(method.name): \(r["ms_per_step"]!) ms/step, \(r["gb_per_s"]!) GB/s ("
                         + "\(Format.number(100 * (Double(r["bandwidth_share"]!) ?? .nan))) % of streaming, "
                         + "\(Format.number(100 * (Double(r["scattered_share"]!) ?? .nan))) % of scattered reads), "
                         + "\(r["speedup_vs_dense"]!)× dense")
        }
    }

    /// Fills every KV head (in parallel) and returns each head's unit "relevant" direction.
    func fillCache(_ cache: LayerKV) -> [[Float]] {
        let n = cache.capacity, d = dim
        let directions: [[Float]] = (0..<kvHeads).map { h in
            var g = SeededGenerator(seed: seed, stream: [1, UInt64(h)])
            let v = g.gaussians(d)
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
        let lock = NSLock()
        let block = 4096
        let blocks = (n + block - 1) / block
        Parallel.forEach(kvHeads * blocks, threads: threads) { item in
            let h = item / blocks, b = item % blocks
            var g = SeededGenerator(seed: seed, stream: [2, UInt64(h), UInt64(b)])
            var offsetGenerator = SeededGenerator(seed: seed, stream: [3, UInt64(h)])
            let offset = offsetGenerator.gaussians(d)
            let rows = min(block, n - b * block)
            var keys = g.gaussians(rows * d), values = g.gaussians(rows * d)
            let lift = 0.6 * Float(d).squareRoot()
            for i in 0..<rows {
                let relevant = g.nextUniform() < 0.01
                for j in 0..<d {
                    keys[i * d + j] = offset[j] + (relevant ? 0.8 * keys[i * d + j] + lift * directions[h][j] : keys[i * d + j])
                }
            }
            lock.lock()
            cache.write(kvHead: h, start: b * block, keys: keys, values: values)
            lock.unlock()
        }
        return directions
    }

    /// Queries [heads·dim] for one step: each query head points along its KV head's direction
    /// (cos ≈ 0.8) plus noise, so the relevant keys dominate its softmax.
    func makeQueries(step: Int, directions: [[Float]]) -> [Float] {
        var g = SeededGenerator(seed: seed, stream: [4, UInt64(step)])
        let group = heads / kvHeads, d = dim
        var q = g.gaussians(heads * d)
        let lift = 0.8 * Float(d).squareRoot()
        for h in 0..<heads {
            for j in 0..<d { q[h * d + j] = 0.6 * q[h * d + j] + lift * directions[h / group][j] }
        }
        return q
    }
}
