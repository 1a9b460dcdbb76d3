import Foundation
import Testing
@testable import Datasets

/// Files under Tests/DatasetsTests/Fixtures (written by scripts/make_capture_fixtures.py).
enum Fixtures {
    static var folder: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)! }
    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
}

/// A fresh temporary folder, removed by `remove()`.
struct TemporaryFolder {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("magicpig-datasets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func contents() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: url.path))?.sorted() ?? [] }
    func remove() { try? FileManager.default.removeItem(at: url) }
}

extension CaptureError {
    /// The enum case's name, e.g. "shapeMismatch", for asserting which rule a bad file broke.
    var caseName: String { Mirror(reflecting: self).children.first?.label ?? "\(self)" }

    /// The HDF5 path the error names, if any.
    var objectPath: String? {
        guard let payload = Mirror(reflecting: self).children.first?.value else { return nil }
        return Mirror(reflecting: payload).children.first { $0.label == "path" }?.value as? String
    }
}

/// Runs `python3 -c script args...`; nil when python3 cannot be started.
func runPython(_ script: String, _ arguments: [String]) -> (status: Int32, stdout: String, stderr: String)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    do { try process.run() } catch { return nil }
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

/// Whether python3 with h5py and numpy is usable. Where it is not: under CI (the CI variable set)
/// this records a failing issue, since CI installs h5py; elsewhere it prints a notice and the
/// caller returns early.
func h5pyAvailable() -> Bool {
    if let result = runPython("import h5py, numpy", []), result.status == 0 { return true }
    if ProcessInfo.processInfo.environment["CI"] != nil {
        Issue.record("python3 with h5py and numpy is required under CI (pip install h5py numpy)")
    } else {
        print("notice: python3 with h5py/numpy not found; skipping the h5py interoperability check")
    }
    return false
}

/// Starts `arguments` with posix_spawn and no file actions, so the child inherits every open
/// descriptor (unlike Foundation's Process, which closes those it sees); returns the child's pid.
func spawnInheritingDescriptors(_ arguments: String...) throws -> pid_t {
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var pid: pid_t = 0
    let status = posix_spawn(&pid, arguments[0], nil, nil, &argv, environ)
    guard status == 0 else { throw POSIXError(POSIXErrorCode(rawValue: status) ?? .EINVAL) }
    return pid
}
