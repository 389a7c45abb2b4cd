public import EventModel
import TargetStore
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

    /// Why the file gave no list: the cause to match on, described in one line per problem
    /// (the path, and for a bad entry its line and column).
    public enum ReadError: Error, CustomStringConvertible {
        /// The file cannot be opened or read; errno is kept.
        case unreadable(EventModel.IOError)
        /// Not YAML, or entries that do not check, each problem with its position.
        case invalid(ConfigErrors)

        public var description: String {
            switch self {
            case .unreadable(let error): return "\(error.path ?? ""): cannot read the targets file: \(error.reason)"
            case .invalid(let errors): return errors.description
            }
        }
    }

    /// Reads and checks the file now (for `validate` and the first round).
    public func load() throws(ReadError) -> [ProbeTarget] {
        let text: String
        do {
            text = try Self.contents(path)
        } catch {
            throw .unreadable(error)
        }
        let node: ConfigNode
        do throws(ConfigErrors) {
            node = try YAMLLoader(environment: [:]).load(text: text, file: path)
        } catch {
            throw .invalid(error)
        }
        var errors: [ConfigError] = []
        let list = reader.read(node, errors: &errors)
        guard errors.isEmpty else { throw .invalid(ConfigErrors(errors)) }
        return list
    }

    public func targets() async throws -> [ProbeTarget] {
        // stat(2) blocks on a slow or hung file system: off the cooperative pool too.
        let stamp = try await NIOThreadPool.singleton.runIfActive { [path] in Self.stamp(path) }
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

    static func contents(_ path: String) throws(EventModel.IOError) -> String {
        guard let file = fopen(path, "r") else { throw EventModel.IOError(errno, "fopen", path: path) }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count > 0 { bytes += chunk[0..<count] }
            if count < chunk.count {
                if ferror(file) != 0 { throw EventModel.IOError(errno, "fread", path: path) }
                break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
