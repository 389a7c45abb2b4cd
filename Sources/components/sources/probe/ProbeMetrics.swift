import CoreMetrics
import ProbeEngine
import Synchronization
import Telemetry

/// A probe source's series: rounds started, finished and late, each ping's send lateness,
/// targets by the state of their last round, sockets. Per-target state is one small entry per
/// target; the series themselves are per source, never per target.
final class ProbeMetrics: Sendable {
    enum TargetState: String, CaseIterable {
        case up, loss, down, unresolved, pending
    }

    private let started: CoreMetrics.Counter
    private let finished: CoreMetrics.Counter
    private let late: CoreMetrics.Counter
    private let jitter: CoreMetrics.Timer
    private let states = Mutex<(current: [String: TargetState], targets: Set<String>)>(([:], []))
    let enabled: Bool

    /// A round that starts more than this after its scheduled start is late: the engine (or the
    /// rate limit) fell behind.
    static let lateAfter: Int64 = 1_000_000_000

    init(_ metrics: ComponentMetrics, sockets: @escaping @Sendable () -> Int) {
        enabled = !metrics.registry.isDiscarding
        started = metrics.counter(.probeRoundsStarted)
        finished = metrics.counter(.probeRoundsFinished)
        late = metrics.counter(.probeRoundsLate)
        jitter = metrics.timer(.probeSendJitter)
        guard enabled else { return }
        let gauges = Dictionary(uniqueKeysWithValues: TargetState.allCases.map { ($0, metrics.gauge(.probeTargets, $0.rawValue)) })
        let socketGauge = metrics.gauge(.probeSockets)
        metrics.onCollect { [self] in
            let counts = targetCounts()
            for (state, gauge) in gauges { gauge.set(counts[state] ?? 0) }
            socketGauge.set(sockets())
        }
    }

    func targetCounts() -> [TargetState: Int] {
        var counts: [TargetState: Int] = [:]
        states.withLock { state in
            for target in state.targets { counts[state.current[target] ?? .pending, default: 0] += 1 }
        }
        return counts
    }

    /// The engine's observer; nil when nothing is counted (no call per ping then).
    var observer: ProbeEngine.ProbeObserver? {
        guard enabled else { return nil }
        return ProbeEngine.ProbeObserver(
            pingSent: { [jitter] lateness in jitter.recordNanoseconds(lateness) },
            roundStarted: { [late] lateness in if lateness > Self.lateAfter { late.increment() } })
    }

    /// This step's targets (`rounds` of them start now); targets gone from the list are forgotten.
    func step(targets: [ProbeTarget], rounds: Int) {
        started.increment(by: Int64(rounds))
        guard enabled else { return }
        let names = Set(targets.map(\.name))
        states.withLock { state in
            if state.targets != names {
                state.targets = names
                state.current = state.current.filter { names.contains($0.key) }
            }
        }
    }

    func finished(_ results: [RoundResult]) {
        finished.increment(by: Int64(results.count))
        guard enabled else { return }
        states.withLock { state in
            for result in results { state.current[result.target.name] = Self.state(of: result) }
        }
    }

    static func state(of result: RoundResult) -> TargetState {
        if result.error != nil { return .unresolved }
        if result.times.isEmpty { return .down }
        return result.lost > 0 ? .loss : .up
    }
}
