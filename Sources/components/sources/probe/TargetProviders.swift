public import TargetStore
public import ProbeEngine
import Logging
import NIOPosix
public import PipelineConfig
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where a probe's targets come from. Asked once per round, so targets added or removed take
/// effect at the next round without a restart (a PostgreSQL provider plugs in here).
public protocol ProbeTargetProvider: Sendable {
    /// The targets for the next round; throwing keeps the previous list for this round.
    func targets() async throws -> [ProbeTarget]
}

/// Targets written in the pipeline file.
public struct StaticTargets: ProbeTargetProvider {
    public let list: [ProbeTarget]
    public init(_ list: [ProbeTarget]) { self.list = list }
    public func targets() async throws -> [ProbeTarget] { list }
}

/// A YAML targets file, read again when its modification time or size changes. A file that
/// no longer reads or checks is reported (file:line:col) and the last good list stays in use.
public final class TargetsFile: ProbeTargetProvider {
    struct Loaded {
        var stamp: [Int64] = []
        var list: [ProbeTarget] = []
    }

    public let path: String
    let reader: TargetListReader
    private let loaded = Mutex(Loaded())

    public init(path: String, reader: TargetListReader) {
        self.path = path
        self.reader = reader
    }

    /// With the list `validate` already read from the file as it is now (not read again unless
    /// it changes: reading 10,000 targets costs more than a round of pings to them).
    public convenience init(path: String, reader: TargetListReader, preloaded: (stamp: [Int64], list: [ProbeTarget])) {
        self.init(path: path, reader: reader)
        loaded.withLock { $0 = Loaded(stamp: preloaded.stamp, list: preloaded.list) }
    }

    /// Reads the file now, with the stamp it had just before.
    public func loadWithStamp() throws(ReadError) -> (stamp: [Int64], list: [ProbeTarget]) {
        let stamp = Self.stamp(path)
        return (stamp, try load())
    }

    public struct ReadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads and checks the file now (for `validate` and the first round).
    public func load() throws(ReadError) -> [ProbeTarget] {
        var errors: [ConfigError] = []
        let node: ConfigNode
        do {
            guard let text = Self.contents(path) else {
                throw ReadError(description: "\(path): cannot read the targets file: \(String(cString: strerror(errno)))")
            }
            node = try YAMLLoader(environment: [:]).load(text: text, file: path)
        } catch let error as ReadError {
            throw error
        } catch {
            throw ReadError(description: "\(error)")
        }
        let list = reader.read(node, errors: &errors)
        guard errors.isEmpty else { throw ReadError(description: ConfigErrors(errors).description) }
        return list
    }

    public func targets() async throws -> [ProbeTarget] {
        let stamp = Self.stamp(path)
        if let cached = loaded.withLock({ $0.stamp == stamp && !stamp.isEmpty ? $0.list : nil }) { return cached }
        let list = try await NIOThreadPool.singleton.runIfActive { [self] in try self.load() }
        loaded.withLock { $0 = Loaded(stamp: stamp, list: list) }
        return list
    }

    static func stamp(_ path: String) -> [Int64] {
        var info = stat()
        guard stat(path, &info) == 0 else { return [] }
        return [Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec), Int64(info.st_size), Int64(info.st_ino)]
    }

    static func contents(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
