import EventModel
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs probe rounds on one dedicated thread: one poll loop sends every ping when it is due
/// (per-target interval, global rate limit), matches answers to pings by sequence (ICMP
/// identifier and payload token; DNS id and question) and times them out. No thread or task
/// per ping; blocking calls never touch the cooperative pool.
public final class ProbeEngine: @unchecked Sendable {
    public enum Transport: Sendable { case icmp, dns }

    public struct Settings: Sendable {
        /// ICMP echo or DNS over UDP.
        public var transport: Transport
        /// Between two pings of one round (fping `-p`).
        public var interval: Duration
        public var timeout: Duration
        /// Packets per second over all targets (fping `-i` is 1000/rate ms).
        public var rate: Double
        /// ICMP payload bytes (fping `-b`).
        public var payloadSize: Int
        /// Told of each ping's and each round's lateness, on the engine's thread (metrics).
        public var observer: ProbeObserver?

        public init(
            transport: Transport, interval: Duration, timeout: Duration, rate: Double, payloadSize: Int = 56, observer: ProbeObserver? = nil
        ) {
            self.observer = observer
            self.transport = transport
            self.interval = interval
            self.timeout = timeout
            self.rate = rate
            self.payloadSize = payloadSize
        }
    }

    /// What the engine tells about its schedule as it goes. Each call runs on the engine's thread
    /// between two sends: it must be quick and never block.
    public struct ProbeObserver: Sendable {
        /// A ping left `lateness` nanoseconds after it was due (0 when early).
        public var pingSent: @Sendable (_ lateness: Int64) -> Void
        /// A round's first ping left `lateness` nanoseconds after the round's start.
        public var roundStarted: @Sendable (_ lateness: Int64) -> Void

        public init(pingSent: @escaping @Sendable (Int64) -> Void, roundStarted: @escaping @Sendable (Int64) -> Void) {
            self.pingSent = pingSent
            self.roundStarted = roundStarted
        }
    }

    /// Sockets the engine holds open.
    public var socketCount: Int { sockets.count }

    struct Inbox {
        var requests: [RoundRequest] = []
        var finishWhenIdle = false
        var stopped = false
    }

    let settings: Settings
    let sockets: [ProbeSocket]
    private let inbox = Mutex(Inbox())
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let onResults: @Sendable ([RoundResult]) -> Void
    private let onFinish: @Sendable () -> Void
    var loop: EngineLoop

    /// Opens the sockets (throws a one-line error saying what to grant when ICMP is not
    /// permitted) and starts the thread. `onResults` runs on the engine's thread: keep it short.
    public init(
        settings: Settings, families: [IPAddress.Family], onResults: @escaping @Sendable ([RoundResult]) -> Void,
        onFinish: @escaping @Sendable () -> Void
    ) throws(ProbeSetupError) {
        self.settings = settings
        var sockets: [ProbeSocket] = []
        for family in families {
            switch settings.transport {
            case .icmp: sockets.append(try ProbeSocket.icmp(v6: family == .v6))
            case .dns: sockets.append(try ProbeSocket.udp(v6: family == .v6))
            }
        }
        self.sockets = sockets
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw ProbeSetupError("create a pipe", .system(IOError(errno, "pipe", path: nil))) }
        wakeRead = pipeEnds[0]
        wakeWrite = pipeEnds[1]
        for end in pipeEnds { _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK) }
        self.onResults = onResults
        self.onFinish = onFinish
        loop = EngineLoop(settings: settings, sockets: sockets)
        let thread = Thread { [self] in self.run() }
        thread.name = "smokeflow-probe"
        thread.start()
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    /// Queues rounds; each starts at its `start` (or as soon as the rate limit allows).
    public func submit(_ requests: [RoundRequest]) {
        inbox.withLock { $0.requests += requests }
        wake()
    }

    /// `onFinish` runs once every round submitted so far has finished.
    public func finishWhenIdle() {
        inbox.withLock { $0.finishWhenIdle = true }
        wake()
    }

    /// Stops the thread (rounds still running are abandoned). Does not wait: the thread holds
    /// the engine, whose sockets close when it lets go.
    public func stop() {
        inbox.withLock { $0.stopped = true }
        wake()
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    private func run() {
        var descriptors = sockets.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
        descriptors.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
        var finishing = false
        while true {
            let taken = inbox.withLock { inbox -> (requests: [RoundRequest], finish: Bool, stop: Bool) in
                defer { inbox.requests.removeAll() }
                return (inbox.requests, inbox.finishWhenIdle, inbox.stopped)
            }
            if taken.stop { return }
            finishing = finishing || taken.finish
            for request in taken.requests { loop.add(request) }
            let now = Clocks.monotonic()
            loop.expire(now: now)
            let wait = loop.sendDue(now: Clocks.monotonic())
            let results = loop.takeFinished()
            if !results.isEmpty { onResults(results) }
            if finishing, loop.isIdle, taken.requests.isEmpty, inbox.withLock({ $0.requests.isEmpty }) {
                onFinish()
                finishing = false
                inbox.withLock { $0.finishWhenIdle = false }
            }
            // poll(2) takes milliseconds: round up, and pings leave up to a millisecond after
            // they are due (their times are taken when they leave). One wake-up per packet at
            // most, like fping; the kernel's receive stamps keep answers exact meanwhile.
            var milliseconds: Int32 = 1000
            if let wait {
                let nanoseconds = max(wait - Clocks.monotonic(), 0)
                milliseconds = Int32(min((nanoseconds + 999_999) / 1_000_000, 1000))
            }
            for index in descriptors.indices { descriptors[index].revents = 0 }
            let ready = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
            guard ready > 0 else { continue }
            for (index, socket) in sockets.enumerated() where descriptors[index].revents != 0 {
                loop.receive(on: socket)
            }
            if descriptors[descriptors.count - 1].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 64)
                while read(wakeRead, &drain, drain.count) > 0 {}
            }
        }
    }
}
