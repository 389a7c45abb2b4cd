/// Per-ping deadlines in send order (one timeout for the whole engine, so FIFO is sorted).
struct DeadlineQueue {
    private var items: [(deadline: Int64, sequence: UInt16, token: UInt32)] = []
    private var head = 0

    var first: (deadline: Int64, sequence: UInt16, token: UInt32)? { head < items.count ? items[head] : nil }

    mutating func append(_ deadline: Int64, _ sequence: UInt16, _ token: UInt32) {
        items.append((deadline, sequence, token))
    }

    mutating func removeFirst() {
        head += 1
        if head > 4096, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
    }
}
