import Foundation

/// Progress lines on stderr, so stdout stays clean for piping.
public struct Progress: Sendable {
    public var quiet: Bool
    let start = Date()

    public init(quiet: Bool = false) { self.quiet = quiet }

    public func say(_ message: String) {
        guard !quiet else { return }
        let elapsed = String(format: "%7.1fs", Date().timeIntervalSince(start))
        FileHandle.standardError.write(Data("[\(elapsed)] \(message)\n".utf8))
    }
}
