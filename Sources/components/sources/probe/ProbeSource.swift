import TargetStore
import ProbeEngine
import Logging
public import PipelineRuntime
import EventModel
import Synchronization

/// Runs the probe: each step asks the provider for the targets, resolves their hosts, hands the
/// rounds to one `ProbeEngine` (spread over the step) and sends each finished round as a point.
/// `--once` runs one round per target and ends when they have all finished.
public struct ProbeSource: Source {
    public let configuration: ProbeSourceConfiguration
    public let provider: any ProbeTargetProvider
    /// The clocks the schedule reads: the system's, or a test's own (to step the wall clock).
    var clocks = ProbeClocks()

    public init(configuration: ProbeSourceConfiguration, provider: any ProbeTargetProvider) {
        self.configuration = configuration
        self.provider = provider
    }

    /// Result handovers held while the pipeline is not taking them (a sink outage without a
    /// disk buffer): beyond this, the newest are dropped and counted instead of growing memory.
    static let pendingLimit = 10_000

    public func run(context: StageContext, output: StageOutput) async throws {
        let (stream, continuation) = AsyncStream<[RoundResult]>.makeStream(bufferingPolicy: .bufferingOldest(Self.pendingLimit))
        let dropping = Atomic<Bool>(false)
        let counters = context.counters
        let logger = context.logger
        let sockets = Atomic<Int>(0)
        let metrics = ProbeMetrics(context.metrics, sockets: { sockets.load(ordering: .relaxed) })
        let handOver: @Sendable ([RoundResult]) -> Void = { results in
            if case .dropped(let lost) = continuation.yield(results) {
                counters.add(dropped: lost.count, reason: .bufferFull)
                if !dropping.exchange(true, ordering: .relaxed) {
                    logger.warning("the pipeline is not taking probe rounds: dropping the newest (\(Self.pendingLimit) handovers held); further drops are only counted")
                }
            } else {
                dropping.store(false, ordering: .relaxed)
            }
        }
        // A ProbeSetupError (no ICMP permission, a failed socket call) fails the source as it is.
        let engine = try ProbeEngine(
            settings: .init(
                transport: configuration.kind == .dns ? .dns : .icmp, interval: configuration.interval,
                timeout: configuration.timeout, rate: configuration.rate, payloadSize: configuration.packetSize,
                observer: metrics.observer),
            families: configuration.kind == .icmp ? [.v4] : configuration.kind == .icmp6 ? [.v6] : [.v4, .v6],
            onResults: handOver, onFinish: { continuation.finish() })
        defer { engine.stop() }
        sockets.store(engine.socketCount, ordering: .relaxed)
        let points = RoundPoints(kind: configuration.kind)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await schedule(engine: engine, results: continuation, context: context, metrics: metrics)
            }
            for await results in stream {
                metrics.finished(results)
                let batch = results.map(points.point)
                try await output.send(Batch(points: batch))
            }
            group.cancelAll()
        }
    }

    /// One step after another, `step` apart from the first; each step's
    /// rounds start spread over the part of the step that leaves them time to finish. The
    /// cadence runs on the monotonic clock: a wall clock stepped back (NTP at boot, a VM
    /// resumed) must not pause probing for the length of the jump.
    func schedule(
        engine: ProbeEngine, results: AsyncStream<[RoundResult]>.Continuation, context: StageContext, metrics: ProbeMetrics? = nil
    ) async throws {
        let step = configuration.step.nanoseconds
        var previous: [ProbeTarget] = []
        var cadence = cadence()
        // A reload that outlived its step's wait (a slow database): waited for again at the
        // next step, never started twice, so a slow answer still lands.
        var reload: Task<[ProbeTarget], any Error>?
        defer { reload?.cancel() }
        while true {
            var targets = previous
            // A database that does not answer (a site's uplink down) must not hold the step:
            // the reload gets what a host resolution gets, and the last list stays meanwhile.
            let reloadTimeout = Self.resolveTimeout(step: step)
            let pending = reload ?? Task { [provider] in try await provider.targets() }
            switch await untilDeadline(.now + reloadTimeout, { try await pending.value }) {
            case .success(let list)?:
                reload = nil
                if list != previous, !previous.isEmpty {
                    context.logger.info("targets changed", metadata: ["count": "\(list.count)"])
                }
                targets = list
                previous = list
            case .failure(let error)?:
                reload = nil
                context.logger.error("targets not reloaded, keeping the last list: \(error)")
            case nil:
                reload = pending
                context.logger.error("targets not reloaded within \(reloadTimeout), keeping the last list")
            }
            let (requests, failures) = await rounds(for: targets, stepStart: cadence.stepStart, step: step, once: context.once)
            metrics?.step(targets: targets, rounds: requests.count + failures.count)
            if !failures.isEmpty { results.yield(failures) }
            engine.submit(requests)
            if context.once {
                engine.finishWhenIdle()
                return
            }
            try await Task.sleep(for: .nanoseconds(cadence.advance()))
        }
    }

    /// The step cadence, on the monotonic clock.
    func cadence() -> StepCadence {
        StepCadence(step: configuration.step.nanoseconds, now: clocks.monotonic)
    }

    typealias Resolve = @Sendable (String, IPAddress.Family) async -> Result<IPAddress, HostResolver.ResolveError>

    /// How long one name may take to resolve before its round fails with "no answer": a tenth
    /// of the step, at most 10 s (glibc's own retries take 5 s each).
    static func resolveTimeout(step: Int64) -> Duration { .nanoseconds(min(step / 10, 10_000_000_000)) }

    /// `stepStart` on the monotonic clock. The hosts are resolved all at once (each name once),
    /// each within `resolveTimeout`, so a resolver that does not answer fails those rounds
    /// instead of holding the step: the lookups themselves run on `HostResolver`'s own threads.
    func rounds(
        for targets: [ProbeTarget], stepStart: Int64, step: Int64, once: Bool,
        resolve: @escaping Resolve = { await HostResolver.resolve($0, family: $1) }, resolveTimeout: Duration? = nil
    ) async -> ([RoundRequest], [RoundResult]) {
        let family: IPAddress.Family = configuration.kind == .icmp6 ? .v6 : .v4
        let roundLength = configuration.interval.nanoseconds * Int64(configuration.pings - 1)
            + configuration.timeout.nanoseconds
        let window = configuration.spread && !once ? max(step - roundLength - step / 20, 0) : 0
        let monotonicStart = stepStart
        // Rounds that cannot start are stamped where they would have started, in wall time.
        let wallStart = clocks.realtime() + (stepStart - clocks.monotonic())
        var requests: [RoundRequest] = []
        var failures: [RoundResult] = []
        requests.reserveCapacity(targets.count)
        let addresses = await Self.resolveAll(
            Set(targets.map(\.host)), family: family, within: resolveTimeout ?? Self.resolveTimeout(step: step), resolve: resolve)
        for (index, target) in targets.enumerated() {
            switch addresses[target.host] ?? .failure(HostResolver.ResolveError(message: "cannot resolve '\(target.host)'")) {
            case .failure(let error):
                failures.append(RoundResult(target: target, startedAt: wallStart, sent: configuration.pings, times: [], error: error.message))
            case .success(var address):
                var question: [UInt8]?
                if configuration.kind == .dns {
                    address.port = UInt16(configuration.port)
                    let type = DNSCodec.recordTypes[(target.record ?? "A").uppercased()] ?? 1
                    question = DNSCodec.question(name: target.lookup ?? "", type: type)
                }
                let offset = targets.count > 1 ? window * Int64(index) / Int64(targets.count) : 0
                requests.append(RoundRequest(
                    target: target, address: address, pings: configuration.pings, start: monotonicStart + offset, question: question))
            }
        }
        return (requests, failures)
    }

    /// Every host at once, each answered within `timeout` (a lookup still running then is left
    /// to finish on its own; its round fails).
    static func resolveAll(
        _ hosts: Set<String>, family: IPAddress.Family, within timeout: Duration, resolve: @escaping Resolve
    ) async -> [String: Result<IPAddress, HostResolver.ResolveError>] {
        await withTaskGroup(of: (String, Result<IPAddress, HostResolver.ResolveError>).self) { group in
            for host in hosts {
                group.addTask { (host, await firstOf(resolve: { await resolve(host, family) }, within: timeout, host: host)) }
            }
            var results: [String: Result<IPAddress, HostResolver.ResolveError>] = [:]
            for await (host, result) in group { results[host] = result }
            return results
        }
    }

    /// `resolve`'s answer, or a failure once `timeout` has passed, whichever comes first; the
    /// lookup is not waited for after that.
    static func firstOf(
        resolve: @escaping @Sendable () async -> Result<IPAddress, HostResolver.ResolveError>, within timeout: Duration, host: String
    ) async -> Result<IPAddress, HostResolver.ResolveError> {
        let answered = AnswerOnce()
        return await withCheckedContinuation { continuation in
            let timer = Task {
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled, answered.claim() {
                    continuation.resume(returning: .failure(HostResolver.ResolveError(message: "cannot resolve '\(host)': no answer within \(timeout)")))
                }
            }
            Task {
                let result = await resolve()
                if answered.claim() {
                    timer.cancel()
                    continuation.resume(returning: result)
                }
            }
        }
    }
}

/// Who resumes a continuation that two tasks race for: the first to claim it.
final class AnswerOnce: Sendable {
    private let taken = Atomic<Bool>(false)

    func claim() -> Bool { !taken.exchange(true, ordering: .acquiringAndReleasing) }
}

/// The clocks the probe source reads.
struct ProbeClocks: Sendable {
    var monotonic: @Sendable () -> Int64 = Clocks.monotonic
    var realtime: @Sendable () -> Int64 = Clocks.realtime
}

/// When each step starts: `step` apart from the first (so two steps' spread rounds never
/// overlap); after a stall, again from now. `now` must be a clock that never jumps.
struct StepCadence {
    let step: Int64
    let now: @Sendable () -> Int64
    /// The current step's start, on `now`'s clock.
    private(set) var stepStart: Int64

    init(step: Int64, now: @escaping @Sendable () -> Int64) {
        self.step = step
        self.now = now
        stepStart = now()
    }

    /// Moves on to the next step; the nanoseconds to wait for its start.
    mutating func advance() -> Int64 {
        stepStart += step
        let current = now()
        if stepStart < current { stepStart = current }
        return stepStart - current
    }
}
