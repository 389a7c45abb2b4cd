import Downsampling
import Foundation
import Telemetry
import NIOPosix
import EventModel
public import PipelineRuntime
import Synchronization

/// Runs a `Downsampler` over its input.
///
/// With checkpoint storage, the acknowledgements of input batches are held until the window
/// state that includes their points is stored (every `checkpoint_interval` and at the end), so
/// a source's position never moves past points that live only in memory. Emitted windows stay
/// in the stored state until every sink has acknowledged them and are sent again after a
/// restart otherwise. Without storage, input is acknowledged at once and open windows are
/// emitted when the input ends.
public final class DownsampleTransform: Transform {
    let configuration: DownsampleConfiguration
    let checkpoints: (any CheckpointStorage)?
    let document: String
    /// The state stored last, so `finish` can store it again once the sinks have acknowledged
    /// the windows emitted at the end.
    let stopped = Mutex<(engine: DownsamplerSnapshot, emissions: Emissions, unacknowledged: Int)?>(nil)

    init(configuration: DownsampleConfiguration, checkpoints: (any CheckpointStorage)?, document: String) {
        self.configuration = configuration
        self.checkpoints = checkpoints
        self.document = document
    }

    /// The document as JSON, encoded on the thread pool: a large state takes CPU seconds.
    static func encode(_ document: Document) async throws -> Data {
        try await NIOThreadPool.singleton.runIfActive { try JSONEncoder().encode(document) }
    }

    struct Document: Codable, Sendable {
        var engine: DownsamplerSnapshot
        /// Emitted windows not yet acknowledged by every sink.
        var unacknowledged: [StoredPoint]
    }

    /// Emitted batches waiting for their acknowledgement, by sequence number.
    final class Emissions: Sendable {
        let waiting = Mutex<(next: Int, batches: [Int: [Point]])>((0, [:]))

        func acknowledgement(for points: [Point]) -> Acknowledgement {
            let sequence = waiting.withLock { state in
                defer { state.next += 1 }
                state.batches[state.next] = points
                return state.next
            }
            return Acknowledgement { [self] status in
                // A failed batch stays, to be sent again after a restart.
                if status != .failed { waiting.withLock { _ = $0.batches.removeValue(forKey: sequence) } }
            }
        }

        var unacknowledged: [Point] { waiting.withLock { state in state.batches.keys.sorted().flatMap { state.batches[$0]! } } }
    }

    public func run(context: StageContext, input: StageInput, output: StageOutput) async throws {
        var engine = Downsampler(rules: configuration.rules)
        let emissions = Emissions()
        if let checkpoints, let data = try await checkpoints.load(document) {
            let afresh = "the windows in progress are lost"
            guard let stored = try? JSONDecoder().decode(Document.self, from: data) else {
                throw CheckpointStorageError.unusable(document, in: checkpoints, "not a smokeflow window state document", afresh: afresh)
            }
            do {
                engine = try Downsampler(rules: configuration.rules, restoring: stored.engine)
            } catch {
                throw CheckpointStorageError.unusable(document, in: checkpoints, "\(error)", afresh: afresh)
            }
            let resend = stored.unacknowledged.map(\.point)
            if !resend.isEmpty {
                context.logger.info("sending again \(resend.count) window(s) not acknowledged before the last stop")
                try await output.send(Batch(points: resend, acknowledgements: [emissions.acknowledgement(for: resend)]))
            }
        }
        engine.idleTimeout = configuration.idleTimeout
        let started = ContinuousClock.now
        func processingTime() -> Int64 { (ContinuousClock.now - started).nanoseconds }
        engine.processingTime = processingTime()
        engine.markAllSeen()
        var held: [Acknowledgement] = []
        var lastSave = ContinuousClock.now
        var lastSweep = ContinuousClock.now
        // Points folded in or windows emitted since the last save: the state to store, even
        // when the input carries no acknowledgements to hold (probes, fixtures, queries).
        var changed = false
        var lateCounted = engine.lateDropped
        var futureCounted = engine.futureDropped

        func emit(_ points: [Point]) async throws {
            guard !points.isEmpty else { return }
            let acknowledgements = checkpoints == nil ? [] : [emissions.acknowledgement(for: points)]
            try await output.send(Batch(points: points, acknowledgements: acknowledgements))
        }
        // How many unacknowledged windows the last stored document holds (acknowledgements may
        // arrive while it is encoded and written): `finish` stores again when fewer are left.
        var storedUnacknowledged = 0
        func save() async throws {
            guard let checkpoints else { return }
            let stored = Document(engine: engine.snapshot, unacknowledged: emissions.unacknowledged.map(StoredPoint.init))
            storedUnacknowledged = stored.unacknowledged.count
            do {
                try await checkpoints.save(document, try await Self.encode(stored))
            } catch {
                for acknowledgement in held { acknowledgement.release(.failed) }
                held.removeAll()
                throw error
            }
            for acknowledgement in held { acknowledgement.release(.delivered) }
            held.removeAll()
            lastSave = .now
            changed = false
        }
        func sweep() async throws {
            lastSweep = .now
            let forgotten = engine.forgetSilentSeries(before: processingTime().subtractingSaturated(configuration.forgetAfter))
            if !forgotten.isEmpty { changed = true }
            try await emit(forgotten)
        }

        let openWindows = context.metrics.gauge(.openWindows)
        let seriesGauge = context.metrics.gauge(.downsampledSeries)
        var lastGauges = ContinuousClock.now - .seconds(1)
        /// At most once a second: counting the open windows walks every series.
        func updateGauges() {
            guard !context.metrics.registry.isDiscarding, ContinuousClock.now - lastGauges >= .seconds(1) else { return }
            lastGauges = .now
            openWindows.set(engine.openWindows)
            seriesGauge.set(engine.activeSeries)
        }

        do {
            reading: while true {
                let saveDue = checkpoints != nil && (changed || !held.isEmpty) ? lastSave + configuration.checkpointInterval : nil
                let sweepDue = engine.activeSeries > 0 ? lastSweep + configuration.checkpointInterval : nil
                switch await input.next(before: [saveDue, sweepDue].compactMap { $0 }.min()) {
                case .batch(let batch):
                    context.counters.add(received: batch.points.count)
                    engine.processingTime = processingTime()
                    engine.futureLimit = Int64(Date().timeIntervalSince1970 * 1e9).addingSaturated(configuration.futureLimit)
                    for point in batch.points { _ = engine.add(point) }
                    changed = changed || !batch.points.isEmpty
                    if engine.lateDropped > lateCounted {
                        if lateCounted == 0 { context.logger.warning("dropping points later than allowed_lateness; further ones are only counted") }
                        context.counters.add(dropped: engine.lateDropped - lateCounted, reason: .late)
                        lateCounted = engine.lateDropped
                    }
                    if engine.futureDropped > futureCounted {
                        if futureCounted == 0 {
                            context.logger.warning("dropping points stamped more than future_limit after the wall clock (a wrong clock at the source?); further ones are only counted")
                        }
                        context.counters.add(dropped: engine.futureDropped - futureCounted, reason: .future)
                        futureCounted = engine.futureDropped
                    }
                    if checkpoints == nil { batch.acknowledge(.delivered) } else { held += batch.acknowledgements }
                    try await emit(engine.advance())
                case .timeout:
                    break
                case .end:
                    break reading
                }
                updateGauges()
                if ContinuousClock.now >= lastSweep + configuration.checkpointInterval { try await sweep() }
                if checkpoints != nil, changed || !held.isEmpty, ContinuousClock.now >= lastSave + configuration.checkpointInterval { try await save() }
            }
        } catch {
            // Positions must not move past points that never made it into stored state.
            for acknowledgement in held { acknowledgement.release(.failed) }
            held.removeAll()
            throw error
        }
        if configuration.flushAtEnd ?? (checkpoints == nil) { try await emit(engine.flushAll()) }
        try await save()
        let snapshot = engine.snapshot
        stopped.withLock { $0 = (snapshot, emissions, storedUnacknowledged) }
    }

    /// Stores the state once more without the windows the sinks acknowledged after the last
    /// save, so a clean stop does not send them again at the next start.
    public func finish(context: StageContext) async {
        guard let checkpoints, let (engine, emissions, savedCount) = stopped.withLock({ $0 }) else { return }
        let unacknowledged = emissions.unacknowledged
        guard unacknowledged.count < savedCount else { return }
        do {
            let stored = Document(engine: engine, unacknowledged: unacknowledged.map(StoredPoint.init))
            try await checkpoints.save(document, try await Self.encode(stored))
        } catch {
            context.logger.warning("could not store the state after the sinks' acknowledgements: \(error)")
        }
    }
}
