import EventModel
#if canImport(Glibc)
import Glibc
#endif

/// The engine's state, touched only by its thread: active rounds, the 65,536 sequence slots,
/// the send queue and the deadlines.
struct EngineLoop {
    struct Slot {
        enum State: UInt8 { case free, pending, answered, timedOut }
        var state = State.free
        var round: Int32 = -1
        var serial: UInt32 = 0
        var sentAt: Int64 = 0
        var token: UInt32 = 0
    }

    struct Round {
        var request: RoundRequest
        var serial: UInt32
        var nextPing = 0
        var resolved = 0
        var startedAt: Int64 = 0
        var times: [Int64] = []
        var duplicates = 0
        var late = 0
        var rcodes: [UInt8: Int] = [:]
    }

    let settings: ProbeEngine.Settings
    let sockets: [ProbeSocket]
    let socketV4: ProbeSocket?
    let socketV6: ProbeSocket?
    let identifier = UInt16.random(in: 1...UInt16.max)
    let interval: Int64
    let timeout: Int64
    var limiter: RateLimiter
    var slots = [Slot](repeating: Slot(), count: 65536)
    var rounds: [Round?] = []
    var freeRounds: [Int32] = []
    var sendQueue = SendQueue()
    var deadlines = DeadlineQueue()
    var finished: [RoundResult] = []
    var nextSequence: UInt16 = UInt16.random(in: 0...UInt16.max)
    var nextToken = UInt32.random(in: 0...UInt32.max)
    var nextSerial: UInt32 = 0
    var activeRounds = 0
    /// Slots whose ping awaits its answer or timeout: at most all 65,536, and a ping waits for a
    /// slot rather than take one that is pending (its round would never finish).
    var pendingSlots = 0
    var packet: [UInt8] = []
    var receiveBuffer = [UInt8](repeating: 0, count: 4096)

    init(settings: ProbeEngine.Settings, sockets: [ProbeSocket]) {
        self.settings = settings
        self.sockets = sockets
        socketV4 = sockets.first { !$0.v6 }
        socketV6 = sockets.first { $0.v6 }
        interval = settings.interval.nanoseconds
        timeout = settings.timeout.nanoseconds
        limiter = RateLimiter(packetsPerSecond: settings.rate)
        sendWindow = min(20_000_000, interval / 10)
    }

    var isIdle: Bool { activeRounds == 0 }

    mutating func add(_ request: RoundRequest) {
        nextSerial &+= 1
        let round = Round(request: request, serial: nextSerial)
        let index: Int32
        if let free = freeRounds.popLast() {
            index = free
            rounds[Int(index)] = round
        } else {
            index = Int32(rounds.count)
            rounds.append(round)
        }
        activeRounds += 1
        if request.pings <= 0 { complete(index) } else { sendQueue.push(request.start, index) }
    }

    /// Pings due within this window of now leave with the ones due now: fewer wake-ups (each
    /// costs more CPU than the ping). A ping leaves at most 20 ms (a tenth of the interval)
    /// early; its time is taken when it leaves, so the measurement is unchanged.
    let sendWindow: Int64

    /// Sends every ping that is due and the rate limit allows; returns when to look again.
    /// When the rate limit holds pings back, it waits until a burst's worth may leave.
    mutating func sendDue(now start: Int64) -> Int64? {
        var now = start
        // Deadlines of pings sent in this call count too.
        var deadline: Int64 { deadlines.first?.deadline ?? .max }
        while let next = sendQueue.first {
            if next.due > now + sendWindow { return min(next.due, deadline) }
            // Every sequence number is in flight: the next ping waits until one times out.
            if pendingSlots >= slots.count { return deadline }
            if limiter.earliest(now: now) > now { return min(limiter.refilled, deadline) }
            _ = sendQueue.pop()
            send(round: next.round, now: now, due: next.due)
            limiter.take(now: now)
            now = Clocks.monotonic()
        }
        return deadlines.first?.deadline
    }

    /// Works on the round in place: no copy of its state per ping.
    private mutating func send(round index: Int32, now: Int64, due: Int64) {
        let i = Int(index)
        guard rounds[i] != nil else { return }
        guard let sequence = allocateSequence() else {
            sendQueue.push(now, index)  // not reached: `sendDue` waits while every slot is pending
            return
        }
        nextToken &+= 1
        let token = settings.transport == .icmp ? nextToken : 0
        let ping = rounds[i]!.nextPing
        rounds[i]!.nextPing += 1
        if ping == 0 { rounds[i]!.startedAt = Clocks.realtime() }
        let address = rounds[i]!.request.address
        let socket = address.family == .v6 ? socketV6 : socketV4
        var sentAt: Int64 = 0
        var sent = false
        if let socket {
            switch settings.transport {
            case .icmp:
                ICMPCodec.echoRequest(
                    v6: socket.v6, identifier: identifier, sequence: sequence, token: token,
                    payloadSize: settings.payloadSize, into: &packet)
            case .dns:
                DNSCodec.query(id: sequence, question: rounds[i]!.request.question ?? [], into: &packet)
            }
            sentAt = Clocks.monotonic()
            sent = socket.send(packet, to: address)
            if let observer = settings.observer {
                observer.pingSent(max(0, sentAt - due))
                if ping == 0 { observer.roundStarted(max(0, sentAt - rounds[i]!.request.start)) }
            }
        }
        if sent {
            slots[Int(sequence)] = Slot(state: .pending, round: index, serial: rounds[i]!.serial, sentAt: sentAt, token: token)
            pendingSlots += 1
            deadlines.append(sentAt + timeout, sequence, token)
        } else {
            rounds[i]!.resolved += 1  // refused by the kernel: lost
        }
        let pings = rounds[i]!.request.pings
        if ping + 1 < pings {
            sendQueue.push(rounds[i]!.request.start + Int64(ping + 1) * interval, index)
        }
        if rounds[i]!.resolved == pings { complete(index) }
    }

    /// A sequence number whose slot is not pending; nil when all are.
    private mutating func allocateSequence() -> UInt16? {
        for _ in 0..<65536 {
            let sequence = nextSequence
            nextSequence &+= 1
            if slots[Int(sequence)].state != .pending { return sequence }
        }
        return nil
    }

    /// Pings past their timeout are lost; an answer after that counts as late.
    /// Deadlines of pings already answered are dropped here too, so the loop never wakes for them.
    mutating func expire(now: Int64) {
        while let first = deadlines.first {
            let slot = slots[Int(first.sequence)]
            let pending = slot.state == .pending && slot.token == first.token
            guard !pending || first.deadline <= now else { break }
            deadlines.removeFirst()
            guard pending else { continue }
            slots[Int(first.sequence)].state = .timedOut
            pendingSlots -= 1
            resolve(slot, answeredAt: nil, rcode: nil)
        }
    }

    mutating func receive(on socket: ProbeSocket) {
        var buffer: [UInt8] = []
        swap(&buffer, &receiveBuffer)
        defer { swap(&buffer, &receiveBuffer) }
        socket.drain(into: &buffer, limit: 1) { bytes, source, receivedAt in
            switch settings.transport {
            case .icmp:
                guard let reply = ICMPCodec.parseReply(bytes, v6: socket.v6, hasIPHeader: socket.hasIPHeader),
                    socket.kind == .pingICMP || reply.identifier == identifier
                else { return }
                match(sequence: reply.sequence, token: reply.token, source: source, receivedAt: receivedAt, rcode: nil)
            case .dns:
                guard bytes.count >= 12 else { return }
                let slot = slots[Int(UInt16(bytes[0]) << 8 | UInt16(bytes[1]))]
                guard slot.state != .free, slot.round >= 0, let round = rounds[Int(slot.round)], round.serial == slot.serial,
                    let question = round.request.question,
                    let response = DNSCodec.parseResponse(bytes, question: question)
                else { return }
                match(sequence: response.id, token: 0, source: source, receivedAt: receivedAt, rcode: response.rcode)
            }
        }
    }

    private mutating func match(sequence: UInt16, token: UInt32, source: sockaddr_storage, receivedAt: Int64, rcode: UInt8?) {
        let slot = slots[Int(sequence)]
        let index = Int(slot.round)
        guard slot.state != .free, slot.token == token, index >= 0, let round = rounds[index], round.serial == slot.serial,
            round.request.address.matches(source)
        else { return }
        switch slot.state {
        case .pending:
            slots[Int(sequence)].state = .answered
            pendingSlots -= 1
            resolve(slot, answeredAt: receivedAt, rcode: rcode)
        case .answered:
            rounds[index]!.duplicates += 1
        case .timedOut:
            rounds[index]!.late += 1
        case .free:
            break
        }
    }

    /// Mutates the round in place (no copy of its times per answer).
    private mutating func resolve(_ slot: Slot, answeredAt: Int64?, rcode: UInt8?) {
        let index = Int(slot.round)
        guard index >= 0, rounds[index]?.serial == slot.serial else { return }
        rounds[index]!.resolved += 1
        if let answeredAt { rounds[index]!.times.append(max(answeredAt - slot.sentAt, 0)) }
        if let rcode { rounds[index]!.rcodes[rcode, default: 0] += 1 }
        if rounds[index]!.resolved == rounds[index]!.request.pings { complete(slot.round) }
    }

    private mutating func complete(_ index: Int32) {
        guard let round = rounds[Int(index)] else { return }
        finished.append(RoundResult(
            target: round.request.target, startedAt: round.startedAt, sent: round.request.pings,
            times: round.times.sorted().map { Double($0) / 1e6 }, duplicates: round.duplicates, late: round.late,
            rcodes: round.rcodes))
        // Keep answered slots pointing at a dead round: its serial no longer matches.
        rounds[Int(index)] = nil
        freeRounds.append(index)
        activeRounds -= 1
    }

    mutating func takeFinished() -> [RoundResult] {
        defer { finished.removeAll(keepingCapacity: true) }
        return finished
    }
}
