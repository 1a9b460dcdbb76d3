/// The heap top-k the tests hold the radix selection (TopKDecode.largest) against.
enum Selection {
    /// Indices of the `k` largest values of `scores` (ties broken by lower index), in no
    /// particular order. O(n log k) with a binary min-heap.
    static func topK(_ scores: UnsafeBufferPointer<Float>, k: Int) -> [Int32] {
        let n = scores.count
        let k = min(max(k, 0), n)
        guard k > 0 else { return [] }
        if k == n { return (0..<Int32(n)).map { $0 } }
        // Min-heap of (score, index) keyed so the root is the weakest kept element.
        var heap = [Int32](); heap.reserveCapacity(k)
        @inline(__always) func weaker(_ a: Int32, _ b: Int32) -> Bool {
            let sa = scores[Int(a)], sb = scores[Int(b)]
            return sa < sb || (sa == sb && a > b)
        }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && weaker(heap[l], heap[m]) { m = l }
                if r < heap.count && weaker(heap[r], heap[m]) { m = r }
                if m == i { return }
                heap.swapAt(i, m); i = m
            }
        }
        for i in 0..<k { heap.append(Int32(i)) }
        for i in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(i) }
        for i in k..<n where weaker(heap[0], Int32(i)) {
            heap[0] = Int32(i)
            siftDown(0)
        }
        return heap
    }
}
