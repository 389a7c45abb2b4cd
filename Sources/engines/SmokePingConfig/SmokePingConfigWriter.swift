import Foundation
public import EventModel
import NIOPosix

/// Writes `Targets` and `Probes` into a directory, each only when its bytes changed: a
/// temporary file, fsync, rename, fsync of the directory (`DurableFile`), so SmokePing never
/// reads half a file and an unchanged store touches nothing (no needless reload). Probes goes
/// first: a reload between the two renames then sees every probe the new Targets names.
public struct SmokePingConfigWriter: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public struct Result: Sendable, Equatable {
        /// Paths written, in order.
        public var changed: [String]
        /// Paths whose content was already the same.
        public var unchanged: [String]
        public var anyChanged: Bool { !changed.isEmpty }
    }

    public var targetsPath: String { directory + "/" + SmokePingConfigFiles.targetsFileName }
    public var probesPath: String { directory + "/" + SmokePingConfigFiles.probesFileName }

    /// Blocking: call it from a thread of its own or `NIOThreadPool` (the `async` form does).
    public func writeBlocking(_ files: SmokePingConfigFiles) throws(IOError) -> Result {
        var result = Result(changed: [], unchanged: [])
        for (path, text) in [(probesPath, files.probes), (targetsPath, files.targets)] {
            let bytes = Array(text.utf8)
            if let current = FileManager.default.contents(atPath: path), current.elementsEqual(bytes) {
                result.unchanged.append(path)
                continue
            }
            try DurableFile.replace(path, with: bytes)
            result.changed.append(path)
        }
        return result
    }

    /// The same on `NIOThreadPool.singleton`, off the cooperative pool and the event loops.
    public func write(_ files: SmokePingConfigFiles) async throws -> Result {
        try await NIOThreadPool.singleton.runIfActive { try writeBlocking(files) }
    }
}
