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

    static func run(_ executable: String, input: [UInt8]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--format", "png"]
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Write on another thread: a large SVG would fill the pipe while rsvg-convert's output
        // fills the other one, and neither side would move.
        let writer = Thread {
            stdin.fileHandleForWriting.write(Data(input))
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let errors = ErrorCollector(stderr.fileHandleForReading)
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SmokeGraphError.conversionFailed(tool: tool, status: process.terminationStatus, message: errors.text())
        }
        return Array(output)
    }
}

/// Drains stderr on its own thread so a chatty tool cannot block on a full pipe.
final class ErrorCollector: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    init(_ handle: FileHandle) {
        Thread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }.start()
    }

    func text() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
