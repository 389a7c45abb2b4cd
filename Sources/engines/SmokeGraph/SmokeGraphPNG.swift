import Foundation
public import NIOPosix

/// Rasterises a graph's SVG with `rsvg-convert` (Debian `librsvg2-bin`) as a subprocess.
/// The wait runs on NIO's blocking thread pool, never on the cooperative pool.
public enum SmokeGraphPNG {
    public static let tool = "rsvg-convert"

    /// `toolPath` overrides the search; `searchPath` replaces `$PATH` for it.
    public static func convert(svg: String, pool: NIOThreadPool = .singleton, toolPath: String? = nil, searchPath: String? = nil) async throws -> [UInt8] {
        guard let executable = toolPath ?? locate(tool, searchPath: searchPath) else { throw SmokeGraphError.converterMissing(tool: tool) }
        return try await pool.runIfActive { try run(executable, input: Array(svg.utf8)) }
    }

    /// The tool's path on PATH, nil when absent.
    public static func locate(_ name: String, searchPath: String? = nil) -> String? {
        let path = searchPath ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The SVG goes in and the PNG comes out through files in a private temporary folder: no
    /// pipes to keep drained while the tool works.
    static func run(_ executable: String, input: [UInt8]) throws -> [UInt8] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smokegraph-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let svg = folder.appendingPathComponent("graph.svg"), png = folder.appendingPathComponent("graph.png")
        let errors = folder.appendingPathComponent("errors.txt")
        try Data(input).write(to: svg)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--format", "png", "--output", png.path, svg.path]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
            throw SmokeGraphError.conversionFailed(tool: tool, status: process.terminationStatus, message: message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return Array(try Data(contentsOf: png))
    }
}
