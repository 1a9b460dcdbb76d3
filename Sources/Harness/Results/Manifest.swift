import Foundation

/// Provenance of a results folder: which code, which machine, which seeds, when.
public struct Manifest: Codable, Sendable {
    public static let harnessVersion = "0.1.0"

    public var harnessVersion = Manifest.harnessVersion
    public var gitCommit: String
    public var gitDirty: Bool
    public var command: [String]
    /// The experiment config, for `magicpig run`; nil for benchmarks.
    public var config: String?
    public var machine: MachineInfo
    public var threads: Int
    public var seeds: [UInt64]
    public var captures: [CaptureProvenance]
    public var started: String
    public var finished: String
    public var wallSeconds: Double
    public var cellsComputed: Int?
    public var cellsReused: Int?
    /// Accuracy runs: how many of the reported cells each code version computed ("unrecorded" for cells
    /// older than the stamp), so a table resumed across commits says so.
    public var cellCodeVersions: [String: Int]?
    /// Accuracy runs with `--finished-only`: samples left out of the tables for missing cells.
    public var samplesSkipped: Int?
    /// Accuracy runs: wall seconds spent on the reported samples over every run that computed them (the cost
    /// of the whole table, however many sessions it took), and how many reported samples that covers.
    public var computeSeconds: Double?
    public var samplesTimed: Int?
    public var samplesReported: Int?

    public struct CaptureProvenance: Codable, Sendable {
        public var path: String
        public var bytes: Int
        public var model: String
        public var source: String?
    }

    /// A manifest for a command starting now; `finish` stamps the end.
    public static func start(config: String?, threads: Int, seeds: [UInt64], at date: Date = Date()) -> Manifest {
        let git = GitInfo.commit()
        return Manifest(gitCommit: git.hash, gitDirty: git.dirty, command: CommandLine.arguments, config: config,
                        machine: MachineInfo.current(), threads: threads, seeds: seeds, captures: [],
                        started: timestamp(date), finished: "", wallSeconds: 0)
    }

    public mutating func finish(started: Date, at date: Date = Date()) {
        finished = Manifest.timestamp(date)
        wallSeconds = (date.timeIntervalSince(started) * 100).rounded() / 100
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try AtomicFile.write(try encoder.encode(self), to: path)
    }

    public static func timestamp(_ date: Date = Date()) -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: date)
    }
}

/// The machine a number was measured on (results are compared as ratios within one machine).
public struct MachineInfo: Codable, Sendable {
    public var hostname: String
    public var os: String
    public var cpu: String
    public var cores: Int
    public var memoryGB: Double
    /// The CPU's vector extensions among `MachineInfo.knownExtensions` (/proc/cpuinfo flags): the same "AMD
    /// EPYC" name has come with AVX2 only and with AVX-512 + VNNI on different days, and llama.cpp's speed and
    /// our native build's code follow the flags. nil in manifests written before the field existed.
    public var vectorExtensions: [String]?

    /// Flags that change what the kernels (ours, OpenBLAS's, llama.cpp's) run.
    public static let knownExtensions = ["sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl",
                                         "avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "asimd", "asimddp"]

    public static func current() -> MachineInfo {
        let info = ProcessInfo.processInfo
        var cpu = "unknown"
        var extensions: [String]?
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            let lines = text.split(separator: "\n")
            if let line = lines.first(where: { $0.hasPrefix("model name") }), let colon = line.firstIndex(of: ":") {
                cpu = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            if let line = lines.first(where: { $0.hasPrefix("flags") || $0.hasPrefix("Features") }),
               let colon = line.firstIndex(of: ":") {
                extensions = vectorExtensions(flags: String(line[line.index(after: colon)...]))
            }
        }
        return MachineInfo(hostname: info.hostName, os: info.operatingSystemVersionString, cpu: cpu,
                           cores: info.activeProcessorCount,
                           memoryGB: (Double(info.physicalMemory) / 1_073_741_824 * 10).rounded() / 10,
                           vectorExtensions: extensions)
    }

    /// The known extensions present in a /proc/cpuinfo flags list, in `knownExtensions` order.
    public static func vectorExtensions(flags: String) -> [String] {
        let present = Set(flags.split(whereSeparator: \.isWhitespace).map(String.init))
        return knownExtensions.filter(present.contains)
    }
}

/// The current git commit of the working directory, if it is a git checkout.
public enum GitInfo {
    /// `hash`, or `hash-dirty` when tracked code outside results/ was modified.
    public static func version() -> String {
        let git = commit()
        return git.dirty ? "\(git.hash)-dirty" : git.hash
    }

    public static func commit() -> (hash: String, dirty: Bool) {
        guard let hash = run(["rev-parse", "HEAD"])?.trimmingCharacters(in: .whitespacesAndNewlines), !hash.isEmpty else {
            return ("unknown", false)
        }
        // Results are this command's outputs, not its code: rewriting them does not make a run dirty.
        let status = run(["status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)results"]) ?? ""
        return (hash, !status.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }

    static func run(_ args: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git"] + args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return p.terminationStatus == 0 ? String(data: data, encoding: .utf8) : nil
    }
}
