import Foundation
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Per-file positions (the stamp of the last acknowledged row) in `STATE_DIR/<id>.json`,
/// written atomically: a temporary file, fsync, rename, fsync of the directory. Commits
/// arriving while a write is in flight go into the next write, so at most the batches
/// acknowledged during one write are re-read after a crash.
public final class CheckpointStore: Sendable {
    public struct StoreError: Error, CustomStringConvertible {
        public let description: String
    }

    let path: String
    private let state: Mutex<(positions: [String: Int], dirty: Bool, writing: Bool)>

    public init(directory: String, name: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/" + name + ".json"
        var positions: [String: Int] = [:]
        if let data = FileManager.default.contents(atPath: path) {
            guard let decoded = try? JSONDecoder().decode(Stored.self, from: data) else {
                throw StoreError(description: "\(path): not a smokeflow checkpoint file")
            }
            positions = decoded.files
        }
        state = Mutex((positions, false, false))
    }

    struct Stored: Codable {
        var version = 1
        var files: [String: Int]
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

    /// Returns once every committed position is on disk.
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
            try? await write(snapshot)
        }
    }

    private func write(_ positions: [String: Int]) async throws {
        let data = try JSONEncoder().encode(Stored(files: positions))
        let path = self.path
        try await NIOThreadPool.singleton.runIfActive {
            let temporary = path + ".tmp"
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw StoreError(description: "\(temporary): cannot open") }
            let written = data.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            let synced = fsync(descriptor)
            close(descriptor)
            guard written == data.count, synced == 0 else { throw StoreError(description: "\(temporary): write failed") }
            guard rename(temporary, path) == 0 else { throw StoreError(description: "\(path): rename failed") }
            let directory = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_CLOEXEC)
            if directory >= 0 {
                fsync(directory)
                close(directory)
            }
        }
    }
}
