import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a run of the `smokeflow` executable printed and how it exited.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// The debug build's `smokeflow`, built by `swift build --build-tests` before the tests run;
/// SMOKEFLOW_EXECUTABLE names another build (a release build, an older commit's, to see a
/// test fail on the behaviour it guards against).
public let smokeflowExecutable = ProcessInfo.processInfo.environment["SMOKEFLOW_EXECUTABLE"] ?? packageRoot() + "/.build/debug/smokeflow"

/// Suites that run the `smokeflow` executable as an operator would.
public protocol CommandLineRunning {}

extension CommandLineRunning {
    /// Runs `smokeflow` with `arguments` from the package root; SIGTERM after a delay, once
    /// `condition` holds, or once `outputCondition` holds for what it has printed so far
    /// (stdout, stderr), if given.
    public func smokeflow(
        _ arguments: [String], environment: [String: String] = [:], signalAfter: Duration? = nil,
        signalWhen condition: (@Sendable () -> Bool)? = nil,
        signalWhenPrinted outputCondition: (@Sendable (_ stdout: String, _ stderr: String) -> Bool)? = nil
    ) async throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: smokeflowExecutable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: packageRoot())
        let directory = temporaryDirectory()
        // A pipeline without state_dir keeps its state in a folder of this run, never in the
        // machine's default location (where a later run would resume from it).
        process.environment = ProcessInfo.processInfo.environment.merging(["STATE_DIRECTORY": directory + "/state"]) { $1 }
            .merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: directory + "/out", contents: nil)
        _ = FileManager.default.createFile(atPath: directory + "/err", contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/err"))
        try process.run()
        if let signalAfter {
            try await Task.sleep(for: signalAfter)
            kill(process.processIdentifier, SIGTERM)
        }
        if let condition {
            while !condition() && process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
            kill(process.processIdentifier, SIGTERM)
        }
        if let outputCondition {
            func printed(_ name: String) -> String { (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? "" }
            while process.isRunning && !outputCondition(printed("out"), printed("err")) { try await Task.sleep(for: .milliseconds(20)) }
            kill(process.processIdentifier, SIGTERM)
        }
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        return CommandResult(
            status: process.terminationStatus,
            stdout: try String(contentsOfFile: directory + "/out", encoding: .utf8),
            stderr: try String(contentsOfFile: directory + "/err", encoding: .utf8)
        )
    }
}
