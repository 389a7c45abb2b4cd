import Logging
import ServiceLifecycle
import EventModel
import PipelineConfig
import Synchronization
import Telemetry

/// Records stage failures and notices when every sink has drained.
final class RunMonitor: Sendable {
    private let state: Mutex<(errors: [StageError], sinksRunning: Int, onDrained: (@Sendable () -> Void)?)>

    init(sinks: Int) {
        state = Mutex(([], sinks, nil))
    }

    func whenDrained(_ action: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.sinksRunning == 0 { return true }
            state.onDrained = action
            return false
        }
        if runNow { action() }
    }

    func record(_ error: StageError) {
        state.withLock { $0.errors.append(error) }
    }

    func sinkDrained() {
        let action = state.withLock { state -> (@Sendable () -> Void)? in
            state.sinksRunning -= 1
            guard state.sinksRunning == 0 else { return nil }
            defer { state.onDrained = nil }
            return state.onDrained
        }
        action?()
    }

    var errors: [StageError] { state.withLock { $0.errors } }

    /// Stages the shutdown timeout cancelled while they drained (not failures of their own).
    let cancelled = Mutex<[(kind: ComponentKind, id: String)]>([])

    private let shutdown = Mutex<(requested: Bool, trigger: (@Sendable () -> Void)?)>((false, nil))

    /// What a shutdown request does once the group runs; at once when one came before.
    func whenShutdownRequested(_ trigger: @escaping @Sendable () -> Void) {
        let requested = shutdown.withLock { state -> Bool in
            state.trigger = trigger
            return state.requested
        }
        if requested { trigger() }
    }

    func requestShutdown() {
        let trigger = shutdown.withLock { state -> (@Sendable () -> Void)? in
            state.requested = true
            return state.trigger
        }
        trigger?()
    }
}


/// Every stage returns only once the group asks it to shut down: the group shuts stages down
/// in reverse order, sources first, and a stage that ended on its own before its turn would
/// otherwise count as an unexpected exit.
private func waitForShutdownTurn() async {
    try? await gracefulShutdown()
}

struct SourceStage: Service, CustomStringConvertible {
    let source: any Source
    let context: StageContext
    let output: StageOutput
    let monitor: RunMonitor

    var description: String { "source '\(context.id)'" }

    func run() async throws {
        do {
            // Graceful shutdown stops a source by cancelling it; what it had not sent is not lost,
            // since positions move only on acknowledgements.
            try await cancelWhenGracefulShutdown {
                try await source.run(context: context, output: output)
            }
        } catch is CancellationError {
        } catch {
            output.finish()
            let failure = StageError(kind: .source, id: context.id, failure: error)
            context.metrics.counter(.errors, "stage_failed").increment()
            monitor.record(failure)
            throw failure
        }
        output.finish()
        await waitForShutdownTurn()
    }
}

struct TransformStage: Service, CustomStringConvertible {
    let transform: any Transform
    let context: StageContext
    let input: StageInput
    let output: StageOutput
    let monitor: RunMonitor

    var description: String { "transform '\(context.id)'" }

    func run() async throws {
        do {
            try await transform.run(context: context, input: input, output: output)
        } catch {
            input.close()
            output.finish()
            // Cancelled by the shutdown timeout: the timeout is the failure, not this stage's error.
            if error is CancellationError {
                monitor.cancelled.withLock { $0.append((.transform, context.id)) }
                throw error
            }
            let failure = StageError(kind: .transform, id: context.id, failure: error)
            context.metrics.counter(.errors, "stage_failed").increment()
            monitor.record(failure)
            throw failure
        }
        output.finish()
        await waitForShutdownTurn()
    }
}

struct SinkStage: Service, CustomStringConvertible {
    let sink: any Sink
    let context: StageContext
    let input: StageInput
    let monitor: RunMonitor
    /// A memory buffer's counters in the log (a disk buffer logs its own).
    var bufferStatus: MemoryBufferStatus?

    var description: String { "sink '\(context.id)'" }

    func run() async throws {
        let reporter = bufferStatus.map { status in Task { await status.keepReporting() } }
        // Before the input is closed, which fails (and so empties) what is left.
        func ended() {
            reporter?.cancel()
            bufferStatus?.report(ending: true)
            input.close()
        }
        do {
            try await sink.run(context: context, input: input)
        } catch {
            ended()
            monitor.sinkDrained()
            if error is CancellationError {
                monitor.cancelled.withLock { $0.append((.sink, context.id)) }
                throw error
            }
            let failure = StageError(kind: .sink, id: context.id, failure: error)
            context.metrics.counter(.errors, "stage_failed").increment()
            monitor.record(failure)
            throw failure
        }
        ended()
        monitor.sinkDrained()
        await waitForShutdownTurn()
    }
}
