import Foundation

/// A benchmark's peer (numpy, llama.cpp, or a worker copy of this binary) run to completion in its own
/// process, with the BLAS thread count pinned to the benchmark's so both sides get the same cores.
enum PeerProcess {
    /// Returns the child's stdout; its stderr passes through as progress. A non-zero exit is a
    /// `HarnessError` naming `label` and, when given, `hint` (what to install or fix).
    static func run(_ executable: String, _ arguments: [String], threads: Int, label: String, hint: String = "",
                    progress: Progress) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = String(threads)
        env["OMP_NUM_THREADS"] = String(threads)
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        progress.say("\(label): \(([executable] + arguments).joined(separator: " "))")
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw HarnessError.badArgument("\(label) failed with status \(p.terminationStatus)\(hint.isEmpty ? "" : "; \(hint)")")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
