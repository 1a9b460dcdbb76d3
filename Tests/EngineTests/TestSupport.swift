import Foundation
import Testing
@testable import Engine

enum Fixture {
    static var folder: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("gguf") }
    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    static func open(_ name: String) throws -> GGUFFile { try GGUFFile(path: path(name)) }

    /// The problem opening a fixture reports; records a test failure if the file opens.
    static func problem(opening name: String) -> GGUFError.Problem? {
        do {
            _ = try GGUFFile(path: path(name))
            Issue.record("\(name) opened, but it is corrupt")
            return nil
        } catch {
            #expect(error.file.hasSuffix(name), "the error names the file")
            return error.problem
        }
    }
}

/// Distance in units in the last place between two floats of the same sign (0 when bit-identical).
func ulpDistance(_ a: Float, _ b: Float) -> UInt32 {
    if a == b { return 0 }
    guard a.sign == b.sign, a.isFinite, b.isFinite else { return .max }
    let x = a.bitPattern, y = b.bitPattern
    return x > y ? x - y : y - x
}
