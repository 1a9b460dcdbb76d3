/// How many keys a budgeted method keeps: a fraction of the cache (the authors'
/// k = int(budget · kv_len)) or an absolute count.
public enum KeyBudget: Sendable, Hashable, CustomStringConvertible {
    case fraction(Double)
    case count(Int)

    /// int(budget · n) as Python truncates it, or the count; clamped to `available`.
    func keys(total n: Int, available: Int, atLeastOne: Bool) -> Int {
        let raw: Int
        switch self {
        case .fraction(let f): raw = Int((f * Double(n)).rounded(.towardZero))
        case .count(let c): raw = c
        }
        return min(available, atLeastOne ? max(1, raw) : raw)
    }

    public var description: String {
        switch self {
        case .fraction(let f): return String(f)
        case .count(let c): return String(c)
        }
    }

    static func check(_ budget: KeyBudget, method: String) throws {
        switch budget {
        case .fraction(let f):
            guard f > 0 && f <= 1 else {
                throw ApproximatorError.badParameter(method: method, name: "budget",
                                                     reason: "\(f) is not a fraction in (0, 1]; e.g. 0.02 keeps 2 % of the keys")
            }
        case .count(let c):
            guard c >= 1 else {
                throw ApproximatorError.badParameter(method: method, name: "count", reason: "\(c) keys; need at least 1")
            }
        }
    }

    /// Reads `budget` or `count` (exactly one of them).
    static func read(_ p: inout MethodParameters, allowCount: Bool) throws -> KeyBudget {
        if allowCount && p.has("budget") && p.has("count") {
            throw ApproximatorError.badParameter(method: p.method, name: "count",
                                                 reason: "give either budget (a fraction) or count (keys), not both")
        }
        let budget: KeyBudget
        if allowCount && p.has("count") {
            budget = .count(try p.int("count"))
        } else {
            budget = .fraction(try p.double("budget"))
        }
        try check(budget, method: p.method)
        return budget
    }
}
