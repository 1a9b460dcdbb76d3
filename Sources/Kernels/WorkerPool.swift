#if arch(x86_64)
import Builtin
#endif
import Foundation
import Synchronization

/// Persistent worker threads that wait for the next `Parallel.forEach` by spinning briefly before they sleep.
///
/// Why: a decode step of the real models is a few hundred short parallel regions (one per weight matrix and
/// attention layer, each tens of microseconds). Handed to `DispatchQueue.concurrentPerform`, each region woke
/// Dispatch's pool threads from their sleep, and on this 2-core VM SmolLM2's decode at 512 tokens ran at
/// 80–88 tok/s on 2 threads against 74–75 on one (eighth session's build): the wake-ups ate most of the second
/// core. Workers that spin on an epoch for a short while (as llama.cpp's threads do at their barriers) start the
/// next region within a few hundred nanoseconds; after `spinIterations` without work they sleep on a condition,
/// so an idle process costs nothing.
///
/// One region runs at a time: `run` returns false when the pool is busy (another thread's region, or a region
/// started from inside a worker's item), and the caller falls back to Dispatch. The calling thread is worker 0.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// Pause-spins (≈ 10–40 ns each) before an idle helper sleeps: ≈ 0.1 ms, longer than the serial work between
    /// two regions of a decode step.
    static let spinIterations = 4096

    /// The current region's number in the high bits and its helper count in the low 16 (one atomic, so a helper
    /// that wakes late reads a consistent pair).
    private let epoch = Atomic<Int>(0)
    private let nextItem = Atomic<Int>(0)
    private let finishedHelpers = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let sleep = NSCondition()
    private var helperCount = 0
    // Written by the caller before the epoch is published, read by helpers after they acquire it.
    private var itemCount = 0
    private var body: ((Int, Int) -> Void)?

    /// Runs body(worker, item) for item in 0..<count on `workers` threads (the caller and workers − 1 helpers).
    /// Returns false, having run nothing, when the pool is in use.
    func run(workers: Int, count: Int, _ body: (_ worker: Int, _ item: Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        let helpers = workers - 1
        ensureHelpers(helpers)
        withoutActuallyEscaping(body) { escaping in
            self.body = escaping
            itemCount = count
            nextItem.store(0, ordering: .relaxed)
            finishedHelpers.store(0, ordering: .relaxed)
            let current = epoch.load(ordering: .relaxed)
            epoch.store(((current >> 16) + 1) << 16 | helpers, ordering: .releasing)
            sleep.lock()
            sleep.broadcast()
            sleep.unlock()
            work(worker: 0, body: escaping)
            var spins = 0
            while finishedHelpers.load(ordering: .acquiring) < helpers {
                spins += 1
                if spins < WorkerPool.spinIterations { WorkerPool.pause() } else { sched_yield() }
            }
            self.body = nil
        }
        return true
    }

    private func work(worker: Int, body: (Int, Int) -> Void) {
        let count = itemCount
        while true {
            let i = nextItem.add(1, ordering: .relaxed).oldValue
            if i >= count { return }
            body(worker, i)
        }
    }

    /// A helper's share of the region. Its reference to the body ends when this returns, before the helper
    /// reports itself finished: the caller's `withoutActuallyEscaping` checks that no reference outlives the region.
    @inline(never)
    private func helperWork(worker: Int) {
        guard let body else { return }
        work(worker: worker, body: body)
    }

    /// Called only by the thread holding `busy`, so helpers are never spawned twice.
    private func ensureHelpers(_ n: Int) {
        guard helperCount < n else { return }
        // A new helper starts from the region before the one about to be published, or it would miss that one.
        let seen = epoch.load(ordering: .relaxed) >> 16
        while helperCount < n {
            let index = helperCount
            let thread = Thread { [unowned self] in self.helperLoop(index: index, seen: seen) }
            thread.name = "magicpig.worker.\(index + 1)"
            thread.start()
            helperCount += 1
        }
    }

    private func helperLoop(index: Int, seen start: Int) -> Never {
        var seen = start
        while true {
            var spins = 0
            var state = epoch.load(ordering: .acquiring)
            while state >> 16 == seen {
                spins += 1
                if spins < WorkerPool.spinIterations {
                    WorkerPool.pause()
                } else {
                    sleep.lock()
                    while epoch.load(ordering: .acquiring) >> 16 == seen { sleep.wait() }
                    sleep.unlock()
                }
                state = epoch.load(ordering: .acquiring)
            }
            seen = state >> 16
            // Helpers beyond this region's count sit it out; the caller waits only for the others, which
            // cannot miss a region: the next one is published only after they have finished this one.
            guard index < state & 0xFFFF else { continue }
            helperWork(worker: index + 1)
            finishedHelpers.add(1, ordering: .releasing)
        }
    }

    @inline(__always)
    static func pause() {
        #if arch(x86_64)
        Builtin.int_x86_sse2_pause()
        #endif
    }
}
