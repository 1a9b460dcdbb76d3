import Foundation

/// Every result file is written to a temporary file beside its destination and renamed into
/// place, so an interrupted run never leaves a half-written result.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        do {
            try data.write(to: tmp)
            guard rename(tmp.path, url.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw HarnessError.cannotWrite(path: path, reason: "\(error)")
        }
    }

    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}

/// Errors of the harness itself (configs have `ConfigError`, captures `CaptureError`).
public enum HarnessError: Error, CustomStringConvertible, Equatable {
    case cannotWrite(path: String, reason: String)
    case staleResults(folder: String, reason: String)
    case layerNotInCapture(capture: String, sample: Int, layer: Int, available: [Int])
    case sampleNotInCapture(capture: String, sample: Int, available: [Int])
    case badArgument(String)

    public var description: String {
        switch self {
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .staleResults(let folder, let reason):
            return "\(folder) holds results of a different experiment (\(reason)); choose another --out folder or delete it"
        case .layerNotInCapture(let capture, let sample, let layer, let available):
            return "\(capture): sample \(sample) has no layer \(layer); it holds layers \(available.map(String.init).joined(separator: ", "))"
        case .sampleNotInCapture(let capture, let sample, let available):
            return "\(capture): there is no sample \(sample); it holds samples \(available.map(String.init).joined(separator: ", "))"
        case .badArgument(let message):
            return message
        }
    }
}
