import LibRRD
import SmokePingFiles
import Foundation
public import Logging
public import PipelineRuntime
import Synchronization

/// Per-file positions (the stamp of the last acknowledged row), kept as one document in the
/// pipeline's checkpoint storage (the state directory or PostgreSQL). Commits arriving while a
/// write is in flight go into the next write, so at most the batches acknowledged during one
/// write are re-read after a crash. A failing save is retried by one writer with a capped
/// backoff and logged once per outage; positions are only re-sent (never lost) meanwhile.
public final class CheckpointStore: Sendable {
    let storage: any CheckpointStorage
    let name: String
    let logger: Logger
    /// The first retry's wait, doubling up to `maximumBackoff`.
    static let initialBackoff = Duration.milliseconds(100)
    static let maximumBackoff = Duration.seconds(30)

    private struct State {
        var positions: [String: Int] = [:]
        var dirty = false
        var writer: Task<Void, Never>?
        /// Set from the first failed save of an outage to the next good one.
        var failing = false
        /// After flush gave up: no more writes (the run is over).
        var stopped = false
        /// When the positions were last stored (or the store was created), for the age metric.
        var savedAt = Date()
    }

    private let state = Mutex(State())

    public init(storage: any CheckpointStorage, name: String, logger: Logger = Logger(label: "smokeflow")) {
        self.storage = storage
        self.name = name
        self.logger = logger
    }

    struct Stored: Codable {
        var version = 1
        var files: [String: Int]
    }

    /// Reads the stored positions; call once before the first `position`.
    public func load() async throws {
        guard let data = try await storage.load(name) else { return }
        let decoded: Stored
        do {
            decoded = try JSONDecoder().decode(Stored.self, from: data)
        } catch {
            throw CheckpointStorageError.unusable(name, in: storage, "not a smokeflow position document", afresh: "the source reads its files again")
        }
        guard decoded.version == 1 else {
            throw CheckpointStorageError.unusable(
                name, in: storage, "position document version \(decoded.version), this smokeflow reads version 1",
                afresh: "the source reads its files again")
        }
        state.withLock { $0.positions = decoded.files }
    }

    public func position(_ file: String) -> Int? { state.withLock { $0.positions[file] } }

    /// Seconds since the positions were last stored (since the start before the first save).
    public var secondsSinceSave: Double { state.withLock { Date().timeIntervalSince($0.savedAt) } }

    /// Every file's position (the stamps of their last acknowledged rows).
    public var positions: [String: Int] { state.withLock { $0.positions } }

    /// Records a new position (synchronously, from an acknowledgement handler) and starts the
    /// writer unless it runs, which then picks it up.
    public func commit(_ file: String, _ position: Int) {
        state.withLock { state in
            if (state.positions[file] ?? .min) >= position { return }
            state.positions[file] = position
            state.dirty = true
            startWriter(&state)
        }
    }

    /// Waits until every committed position is stored; gives up after `timeout` or when
    /// cancelled (the shutdown's time is up), saying what a restart sends again. Whether all
    /// positions were stored.
    @discardableResult
    public func flush(within timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            let clean = state.withLock { state -> Bool in
                if state.dirty { startWriter(&state) }
                return !state.dirty && state.writer == nil
            }
            if clean { return true }
            if ContinuousClock.now >= deadline || Task.isCancelled { break }
            do { try await Task.sleep(for: .milliseconds(5)) } catch { break }
        }
        let writer = state.withLock { state in
            state.stopped = true
            defer { state.writer = nil }
            return state.writer
        }
        writer?.cancel()
        logger.warning("\(storage.location(of: name)): gave up saving positions at shutdown; what was read since the last save will be sent again at the next start")
        return false
    }

    private func startWriter(_ state: inout State) {
        guard state.writer == nil, !state.stopped else { return }
        state.writer = Task { await self.writeWhileDirty() }
    }

    private func writeWhileDirty() async {
        var backoff = Self.initialBackoff
        while !Task.isCancelled {
            let snapshot: [String: Int]? = state.withLock { state in
                guard state.dirty, !state.stopped else {
                    state.writer = nil
                    return nil
                }
                state.dirty = false
                return state.positions
            }
            guard let snapshot else { return }
            do {
                try await storage.save(name, try JSONEncoder().encode(Stored(files: snapshot)))
                backoff = Self.initialBackoff
                let recovered = state.withLock { state in
                    state.savedAt = Date()
                    defer { state.failing = false }
                    return state.failing
                }
                if recovered { logger.info("\(storage.location(of: name)): saving positions works again") }
            } catch {
                // The positions stay dirty for the retry; one warning per outage, not per attempt.
                let first = state.withLock { state in
                    state.dirty = true
                    defer { state.failing = true }
                    return !state.failing
                }
                if first {
                    logger.warning("\(storage.location(of: name)): cannot save positions (\(error)); retrying, and a restart meanwhile sends again what was read since the last save")
                }
                do { try await Task.sleep(for: backoff) } catch { break }
                backoff = min(backoff * 2, Self.maximumBackoff)
            }
        }
        state.withLock { $0.writer = nil }
    }
}
