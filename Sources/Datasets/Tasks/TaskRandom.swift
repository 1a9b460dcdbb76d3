import Kernels

/// The random draws the task generators make, on `SeededGenerator` so that a sample is the same on every
/// machine and Swift version (the standard library's `random(in:using:)` and `shuffle(using:)` do not
/// promise a fixed algorithm).
extension SeededGenerator {
    /// Uniform in 0..<n by the high word of a 64×64-bit product (Lemire); the bias, below n / 2⁶⁴, is
    /// far under anything a prompt could show.
    mutating func index(below n: Int) -> Int {
        precondition(n > 0, "index(below:) needs a positive bound")
        return Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// Uniform in `range` (Python's random.randint(a, b) for a...b).
    mutating func integer(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + index(below: range.count)
    }

    mutating func element<T>(of items: [T]) -> T { items[index(below: items.count)] }

    /// Fisher–Yates.
    mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(i, index(below: i + 1))
        }
    }

    /// `count` distinct values of 0..<n in random order (Python's random.sample(range(n), count)).
    mutating func sample(_ count: Int, below n: Int) -> [Int] {
        precondition(count <= n, "cannot draw \(count) distinct values below \(n)")
        if count * 4 < n {
            var seen = Set<Int>(), out: [Int] = []
            while out.count < count {
                let v = index(below: n)
                if seen.insert(v).inserted { out.append(v) }
            }
            return out
        }
        var all = Array(0..<n)
        for i in 0..<count { all.swapAt(i, i + index(below: n - i)) }
        return Array(all[0..<count])
    }

    /// A random version-4 UUID in lowercase 8-4-4-4-12 form (Python's uuid.UUID(int=getrandbits(128), version=4)).
    mutating func uuidString() -> String {
        var bytes: [UInt8] = []
        for word in [next(), next()] {
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { b -> String in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }
        return [0..<4, 4..<6, 6..<8, 8..<10, 10..<16].map { hex[$0].joined() }.joined(separator: "-")
    }

    /// A `digits`-digit decimal number without a leading zero (niah.py generate_random_number).
    mutating func numberString(digits: Int = 7) -> String {
        var lower = 1
        for _ in 1..<digits { lower *= 10 }
        return String(integer(in: lower...(lower * 10 - 1)))
    }

    /// `length` random uppercase ASCII letters (vt variable names).
    mutating func uppercaseLetters(_ length: Int) -> String {
        String((0..<length).map { _ in Character(Unicode.Scalar(UInt8(65 + index(below: 26)))) })
    }

    /// `length` random lowercase ASCII letters (fwe coded words).
    mutating func lowercaseLetters(_ length: Int) -> String {
        String((0..<length).map { _ in Character(Unicode.Scalar(UInt8(97 + index(below: 26)))) })
    }
}

/// A stable 64-bit number for a task name (FNV-1a), so that a task's random stream does not depend on the
/// order of `RulerTask.allCases`.
func stableStreamID(_ name: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in name.utf8 {
        h ^= UInt64(byte)
        h = h &* 0x0000_0100_0000_01B3
    }
    return h
}
