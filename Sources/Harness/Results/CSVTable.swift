import Foundation

/// A CSV table built row by row; fields are quoted when they need it (RFC 4180).
public struct CSVTable: Sendable {
    public var columns: [String]
    public private(set) var rows: [[String]] = []

    public init(columns: [String]) { self.columns = columns }

    public mutating func append(_ row: [String]) {
        precondition(row.count == columns.count, "CSV row has \(row.count) fields, expected \(columns.count)")
        rows.append(row)
    }

    /// Appends a row given as column → value; missing columns are empty.
    public mutating func append(_ row: [String: String]) {
        append(columns.map { row[$0] ?? "" })
    }

    public var text: String {
        var out = columns.map(Self.escape).joined(separator: ",") + "\n"
        for row in rows { out += row.map(Self.escape).joined(separator: ",") + "\n" }
        return out
    }

    public func write(to path: String) throws { try AtomicFile.write(text, to: path) }

    static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Numbers as results show them: enough digits to reproduce a figure, no locale surprises.
public enum Format {
    public static func number(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        if x == x.rounded() && abs(x) < 1e15 { return String(Int(x)) }
        return String(format: "%.6g", x)
    }

    public static func number(_ x: Double?) -> String { x.map { number($0) } ?? "" }
}
