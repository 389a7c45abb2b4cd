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
        let handOver: @Sendable ([RoundResult]) -> Void = { results in
            if case .dropped(let lost) = continuation.yield(results) {
                counters.add(dropped: lost.count)
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
                timeout: configuration.timeout, rate: configuration.rate, payloadSize: configuration.packetSize),
            families: configuration.kind == .icmp ? [.v4] : configuration.kind == .icmp6 ? [.v6] : [.v4, .v6],
            onResults: handOver, onFinish: { continuation.finish() })
        defer { engine.stop() }
        let points = RoundPoints(kind: configuration.kind)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await schedule(engine: engine, results: continuation, context: context)
            }
            for await results in stream {
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
    func schedule(engine: ProbeEngine, results: AsyncStream<[RoundResult]>.Continuation, context: StageContext) async throws {
        let step = configuration.step.nanoseconds
        var previous: [ProbeTarget] = []
        var stepStart = Clocks.monotonic()
        while true {
            var targets = previous
            do {
                targets = try await provider.targets()
                if targets != previous, !previous.isEmpty {
                    context.logger.info("targets changed", metadata: ["count": "\(targets.count)"])
                }
                previous = targets
            } catch {
                context.logger.error("targets not reloaded, keeping the last list: \(error)")
            }
            let (requests, failures) = await rounds(for: targets, stepStart: stepStart, step: step, once: context.once)
            if !failures.isEmpty { results.yield(failures) }
            engine.submit(requests)
            if context.once {
                engine.finishWhenIdle()
                return
            }
            // A steady cadence from the first step (so two steps' spread rounds never overlap);
            // after a stall, start again from now.
            stepStart += step
            if stepStart < Clocks.monotonic() { stepStart = Clocks.monotonic() }
            try await Task.sleep(for: .nanoseconds(stepStart - Clocks.monotonic()))
        }
    }

    /// `stepStart` on the monotonic clock.
    func rounds(for targets: [ProbeTarget], stepStart: Int64, step: Int64, once: Bool) async -> ([RoundRequest], [RoundResult]) {
        let family: IPAddress.Family = configuration.kind == .icmp6 ? .v6 : .v4
        let roundLength = configuration.interval.nanoseconds * Int64(configuration.pings - 1)
            + configuration.timeout.nanoseconds
        let window = configuration.spread && !once ? max(step - roundLength - step / 20, 0) : 0
        let monotonicStart = stepStart
        // Rounds that cannot start are stamped where they would have started, in wall time.
        let wallStart = Clocks.realtime() + (stepStart - Clocks.monotonic())
        var requests: [RoundRequest] = []
        var failures: [RoundResult] = []
        requests.reserveCapacity(targets.count)
        for (index, target) in targets.enumerated() {
            switch await HostResolver.resolve(target.host, family: family) {
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
}
