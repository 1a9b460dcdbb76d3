import Dispatch
import Foundation

/// Thread counts are chosen at run time (never fixed at compile time, a known complaint about
/// the authors' CPU kernels): default is the number of active processors.
public enum Parallel {
    public static var defaultThreadCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Runs body(i) for i in 0..<count on up to `threads` threads. Work items are handed out
    /// dynamically, so uneven items (heads with large sample sets) balance.
    public static func forEach(_ count: Int, threads: Int = defaultThreadCount, _ body: @Sendable (Int) -> Void) {
        forEach(count, threads: threads) { _, i in body(i) }
    }
}

extension Parallel {
    /// As `forEach`, with the index of the worker running each item (0..<min(threads, count)):
    /// per-worker scratch stays hot in that core's caches across items, where per-item scratch
    /// would be cold each time.
    public static func forEach(_ count: Int, threads: Int = defaultThreadCount, _ body: @Sendable (_ worker: Int, _ item: Int) -> Void) {
        guard count > 0 else { return }
        let workers = Parallel.workers(count, threads: threads)
        if workers == 1 {
            for i in 0..<count { body(0, i) }
            return
        }
        if usesPool(workers), WorkerPool.shared.run(workers: workers, count: count, body) { return }
        let next = AtomicCounter()
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            while true {
                let i = next.increment()
                if i >= count { break }
                body(worker, i)
            }
        }
    }

    /// Whether a region of `workers` threads goes to the spinning `WorkerPool`: only when every worker can
    /// have a core (spinning helpers on an oversubscribed machine would take time from the working ones) and
    /// `MAGICPIG_WORKER_POOL=off` is not set (Dispatch only, for comparison). Otherwise, and while the pool
    /// runs another region (a nested or concurrent call), Dispatch's `concurrentPerform` runs it.
    static func usesPool(_ workers: Int) -> Bool { poolEnabled && workers <= processorCount }

    private static let processorCount = ProcessInfo.processInfo.activeProcessorCount
    private static let poolEnabled = ProcessInfo.processInfo.environment["MAGICPIG_WORKER_POOL"] != "off"

    /// Workers `forEach(_:threads:_:)` with a worker index uses for `count` items.
    public static func workers(_ count: Int, threads: Int) -> Int { max(1, min(max(1, threads), count)) }
}

/// A tiny lock-protected counter (Dispatch-only; no Atomics dependency in Kernels).
final class AtomicCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        let v = value
        value += 1
        return v
    }
}

/// Wraps a raw pointer for use inside @Sendable closures when the caller guarantees that
/// concurrent iterations touch disjoint elements.
public struct SendablePointer<T>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<T>
    public init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}
