/// A binary min-heap of (due time, round) pairs: the next ping each active round owes.
struct SendQueue {
    private var items: [(due: Int64, round: Int32)] = []

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    var first: (due: Int64, round: Int32)? { items.first }

    mutating func push(_ due: Int64, _ round: Int32) {
        items.append((due, round))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].due < items[parent].due else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (due: Int64, round: Int32)? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < items.count else { break }
                var child = left
                if left + 1 < items.count, items[left + 1].due < items[left].due { child = left + 1 }
                guard items[child].due < items[parent].due else { break }
                items.swapAt(child, parent)
                parent = child
            }
        }
        return top
    }
}
