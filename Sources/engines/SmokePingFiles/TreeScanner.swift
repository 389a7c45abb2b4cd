public import PipelineConfig
import Foundation

/// One SmokePing RRD file: `datadir/<section>/…/<target>[~<slave>].rrd`.
public struct SmokePingFile: Sendable, Hashable {
    /// Path relative to the data directory, e.g. `Core/router-1.rrd`: the checkpoint key.
    public let relativePath: String
    public let absolutePath: String

    /// `Core/router-1` (with `~slave` for a slave's file): unique per file, so per series.
    public var seriesPath: String { String(relativePath.dropLast(4)) }

    public var target: String {
        let name = seriesPath.split(separator: "/").last.map(String.init) ?? seriesPath
        return name.split(separator: "~", maxSplits: 1).first.map(String.init) ?? name
    }

    public var slave: String? {
        let name = seriesPath.split(separator: "/").last ?? ""
        let parts = name.split(separator: "~", maxSplits: 1)
        return parts.count == 2 ? String(parts[1]) : nil
    }

    /// The top section, when the file sits in one.
    public var category: String? {
        let parts = relativePath.split(separator: "/")
        return parts.count > 1 ? String(parts[0]) : nil
    }
}

/// Lists the `.rrd` files under a data directory, filtered by globs, in a stable order.
public struct TreeScanner: Sendable {
    public let root: String
    public let include: [Glob]
    public let exclude: [Glob]

    public init(root: String, include: [Glob] = [], exclude: [Glob] = []) {
        self.root = root.hasSuffix("/") ? String(root.dropLast()) : root
        self.include = include
        self.exclude = exclude
    }

    public struct ScanError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Blocking directory walk: call it from the thread pool.
    public func scan() throws -> [SmokePingFile] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ScanError(description: "\(root): not a directory")
        }
        guard let enumerator = FileManager.default.enumerator(atPath: root) else {
            throw ScanError(description: "\(root): cannot list the directory")
        }
        var files: [SmokePingFile] = []
        while let relative = enumerator.nextObject() as? String {
            guard relative.hasSuffix(".rrd") else { continue }
            if !include.isEmpty && !include.contains(where: { $0.matches(relative) }) { continue }
            if exclude.contains(where: { $0.matches(relative) }) { continue }
            files.append(SmokePingFile(relativePath: relative, absolutePath: root + "/" + relative))
        }
        return files.sorted { $0.relativePath < $1.relativePath }
    }
}
