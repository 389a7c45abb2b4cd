import Foundation
import NIOPosix

/// `smokeping --check --config=FILE`: whether SmokePing itself accepts a configuration (its
/// paths must exist and be writable). For a generator that wants SmokePing's word before a reload.
public struct SmokePingCheck: Sendable {
    public var binary: String

    public init(binary: String = "/usr/sbin/smokeping") { self.binary = binary }

    public struct Result: Sendable, Equatable {
        public var passed: Bool
        /// SmokePing's own words (`Configuration file '…' syntax OK.`, or its `ERROR: FILE, line N: …`).
        public var message: String
    }

    /// Runs the check on `NIOThreadPool` (it waits for a child process).
    public func check(config: String) async -> Result {
        let binary = binary
        do {
            return try await NIOThreadPool.singleton.runIfActive {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: binary)
                process.arguments = ["--check", "--config=" + config]
                let output = Pipe()
                process.standardOutput = output
                process.standardError = output
                process.standardInput = FileHandle.nullDevice
                try process.run()
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                return Result(passed: process.terminationStatus == 0, message: text)
            }
        } catch {
            return Result(passed: false, message: "cannot run \(binary): \(error)")
        }
    }
}
