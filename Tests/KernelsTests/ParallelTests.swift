import Foundation
import Synchronization
import Testing
@testable import Kernels

/// `Parallel.forEach` hands each item to exactly one worker, whichever path runs it: the spinning `WorkerPool`
/// (workers ≤ cores), Dispatch (more workers than cores, the pool disabled, or the pool busy with a nested or
/// concurrent region).
@Suite struct ParallelTests {
    /// Counts how often each item ran and checks every worker index is in range.
    private func check(count: Int, threads: Int, file: String = #fileID, line: Int = #line) {
        let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(count, 1))
        hits.initialize(repeating: 0)
        defer { hits.deallocate() }
        let p = SendablePointer(hits.baseAddress!)
        let workers = Parallel.workers(count, threads: threads)
        let badWorker = Atomic<Int>(0)
        Parallel.forEach(count, threads: threads) { worker, item in
            if worker < 0 || worker >= workers { badWorker.add(1, ordering: .relaxed) }
            p.pointer[item] += 1
        }
        #expect(badWorker.load(ordering: .relaxed) == 0, "count \(count), threads \(threads)")
        #expect(hits.allSatisfy { $0 == 1 } || count == 0, "count \(count), threads \(threads)")
    }

    @Test(arguments: [1, 2, 3, 4, 8])
    func everyItemOnce(threads: Int) {
        for count in [0, 1, 2, 3, 7, 64, 1000] { check(count: count, threads: threads) }
    }

    @Test func indexOnlyFormCoversEveryItem() {
        let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: 500)
        hits.initialize(repeating: 0)
        defer { hits.deallocate() }
        let p = SendablePointer(hits.baseAddress!)
        Parallel.forEach(500, threads: 2) { item in p.pointer[item] += 1 }
        #expect(hits.allSatisfy { $0 == 1 })
    }

    /// Thousands of short regions back to back, as a decode step makes them, and a few after the helpers have
    /// gone to sleep: no region may lose items or wait forever.
    @Test func manyShortRegionsAndSleepingHelpers() {
        for _ in 0..<5000 { check(count: 3, threads: 2) }
        for _ in 0..<3 {
            Thread.sleep(forTimeInterval: 0.02)
            check(count: 17, threads: 2)
        }
    }

    /// A region started from inside an item (the pool is busy) runs on Dispatch and still covers its items.
    @Test func nestedRegions() {
        let total = Atomic<Int>(0)
        Parallel.forEach(4, threads: 2) { _, _ in
            Parallel.forEach(10, threads: 2) { _, _ in total.add(1, ordering: .relaxed) }
        }
        #expect(total.load(ordering: .relaxed) == 40)
    }

    /// Several threads starting regions at once: one gets the pool, the others Dispatch; all complete.
    @Test func concurrentCallers() {
        let total = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            for _ in 0..<200 {
                Parallel.forEach(5, threads: 2) { _, _ in total.add(1, ordering: .relaxed) }
            }
        }
        #expect(total.load(ordering: .relaxed) == 6 * 200 * 5)
    }
}
