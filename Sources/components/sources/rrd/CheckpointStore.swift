import LibRRD
import SmokePingFiles
import Foundation
public import PipelineRuntime
import Synchronization

/// Per-file positions (the stamp of the last acknowledged row), kept as one document in the
/// pipeline's checkpoint storage (the state directory or PostgreSQL). Commits arriving while a
/// write is in flight go into the next write, so at most the batches acknowledged during one
/// write are re-read after a crash.
public final class CheckpointStore: Sendable {
    let storage: any CheckpointStorage
    let name: String
    private let state = Mutex<(positions: [String: Int], dirty: Bool, writing: Bool)>(([:], false, false))

    public init(storage: any CheckpointStorage, name: String) {
        self.storage = storage
        self.name = name
    }

    struct Stored: Codable {
        var version = 1
        var files: [String: Int]
    }

    /// Reads the stored positions; call once before the first `position`.
    public func load() async throws {
        guard let data = try await storage.load(name) else { return }
        guard let decoded = try? JSONDecoder().decode(Stored.self, from: data) else {
            throw CheckpointStorageError("\(storage) \(name): not a smokeflow checkpoint document")
        }
        state.withLock { $0.positions = decoded.files }
    }

    public func position(_ file: String) -> Int? { state.withLock { $0.positions[file] } }

    /// Records a new position (synchronously, from an acknowledgement handler) and starts a
    /// write unless one is in flight, which then picks it up.
    public func commit(_ file: String, _ position: Int) {
        let start = state.withLock { state -> Bool in
            if (state.positions[file] ?? .min) >= position { return false }
            state.positions[file] = position
            state.dirty = true
            if state.writing { return false }
            state.writing = true
            return true
        }
        if start { Task { await self.writeWhileDirty() } }
    }

    /// Returns once every committed position is stored.
    public func flush() async {
        while true {
            let action = state.withLock { state -> Int in
                if state.writing { return 1 }
                guard state.dirty else { return 0 }
                state.writing = true
                return 2
            }
            switch action {
            case 0: return
            case 1: try? await Task.sleep(for: .milliseconds(5))
            default: await writeWhileDirty()
            }
        }
    }

    private func writeWhileDirty() async {
        while true {
            let snapshot: [String: Int]? = state.withLock { state in
                guard state.dirty else {
                    state.writing = false
                    return nil
                }
                state.dirty = false
                return state.positions
            }
            guard let snapshot else { return }
            guard let data = try? JSONEncoder().encode(Stored(files: snapshot)) else { continue }
            // A failed write leaves the positions dirty for the next commit or flush to retry.
            do { try await storage.save(name, data) } catch { state.withLock { $0.dirty = true; $0.writing = false }; return }
        }
    }
}
