import EventModel
import Foundation
public import Logging
import NIOPosix
import PipelineConfig
import PipelineRuntime

/// File mode: the store is one YAML file (`StoreDocument`), read when it changes on disk (a
/// hand edit is picked up before the next request) and replaced atomically after each write
/// (temp file, fsync, rename), so a crash leaves the old file or the new one. Writes are
/// applied one at a time (the actor), each to a copy that replaces the model only once the
/// file is durable. A file that no longer parses keeps the last good model for reads (marked
/// stale) and refuses writes rather than overwrite the hand edit.
public actor FileStore: ConfigStore {
    public nonisolated let mode = StoreMode.file
    public nonisolated let path: String
    let logger: Logger
    var model: StoreModel?
    var stamp: [Int64] = []
    var brokenFile: String?
    /// Writes waiting for the next save, and whether a save is under way.
    private var pending: [(operations: [StoreOperation], continuation: CheckedContinuation<[OperationResult], any Error>)] = []
    private var committing = false

    public init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    public func snapshot() async throws -> StoreSnapshot {
        try await current().snapshot
    }

    public func catalog() async throws -> StoreSnapshot {
        let snapshot = try await current().snapshot
        return StoreSnapshot(categories: snapshot.categories, probes: snapshot.probes)
    }

    public func targets(matching query: TargetQuery) async throws -> TargetPage {
        let model = try await current()
        let (page, total) = query.page(of: model.snapshot.targets)
        return TargetPage(targets: page, total: total, stale: brokenFile != nil)
    }

    /// Writes are committed in groups: every request that arrives while a save is under way
    /// waits for the next one, which carries them all (one render, one fsync), each applied in
    /// arrival order to the model the one before left, all or nothing on its own. Fifty clients
    /// at once cost a few saves, not fifty, and none waits behind forty-nine fsyncs.
    public func apply(_ operations: [StoreOperation]) async throws -> [OperationResult] {
        try await withCheckedThrowingContinuation { continuation in
            pending.append((operations, continuation))
            guard !committing else { return }
            committing = true
            Task { await commitPending() }
        }
    }

    /// One writer at a time (the actor alone would let a second write read the model while the
    /// first awaits its file, and one of the two would be lost); it runs until nothing waits.
    private func commitPending() async {
        while !pending.isEmpty {
            let group = pending
            pending.removeAll()
            do {
                var model = try await current()
                if let brokenFile { throw StoreUnavailable("the store file has errors; fix it first: \(brokenFile)") }
                var outcomes: [Result<[OperationResult], any Error>] = []
                for request in group {
                    var attempt = model
                    do {
                        outcomes.append(.success(try attempt.apply(request.operations, now: StoreClock.now())))
                        model = attempt
                    } catch {
                        outcomes.append(.failure(error))
                    }
                }
                if outcomes.contains(where: { if case .success = $0 { true } else { false } }) {
                    try await save(model)
                    self.model = model
                }
                for (request, outcome) in zip(group, outcomes) { request.continuation.resume(with: outcome) }
            } catch {
                // Nothing of this group was written: every request in it fails.
                for request in group { request.continuation.resume(throwing: error) }
            }
        }
        committing = false
    }

    /// The model as the file is now: read again when its size, time or inode changed.
    func current() async throws -> StoreModel {
        let stamp = Self.stamp(path)
        if let model, stamp == self.stamp { return model }
        guard stamp.isEmpty == false else {
            // No file yet: start from the seeded probes and categories, and write them, so
            // the probe source and the join can read the file from the start.
            let seeded = model ?? StoreModel.seeded
            try await save(seeded)
            model = seeded
            return seeded
        }
        let path = self.path
        let text = try await NIOThreadPool.singleton.runIfActive { try String(contentsOfFile: path, encoding: .utf8) }
        do {
            let snapshot = try StoreDocument.parse(text, file: path, now: StoreClock.now())
            model = StoreModel(snapshot)
            brokenFile = nil
            self.stamp = stamp
        } catch {
            let description = error.errors.map(\.description).joined(separator: "; ")
            if brokenFile != description { logger.error("store file unreadable, serving the last good copy: \(description)") }
            brokenFile = description
            self.stamp = stamp
            guard let model else { throw StoreUnavailable("the store file has errors: \(description)") }
            return model
        }
        return model ?? StoreModel.seeded
    }

    func save(_ model: StoreModel) async throws {
        let bytes = Array(StoreDocument.render(model.snapshot).utf8)
        try await DurableFile.replace(path, with: bytes)
        stamp = Self.stamp(path)
    }

    /// Size, modification time (ns) and inode; empty when the file does not exist.
    static func stamp(_ path: String) -> [Int64] {
        var info = stat()
        guard stat(path, &info) == 0 else { return [] }
        return [Int64(info.st_size), Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec), Int64(info.st_ino)]
    }
}
