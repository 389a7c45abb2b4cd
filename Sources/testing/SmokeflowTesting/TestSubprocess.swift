import Foundation

/// Runs one test of this test binary again, alone, in a process of its own: for checks of
/// process-wide state (open descriptors, standard output) that other tests running in
/// parallel would disturb. The child test is enabled only in that process
/// (`.enabled(if: TestSubprocess.isChild("name"))`) and ends with `report`; the parent gets
/// the lines it reported, and fails when the child reported nothing (a filter that matched no
/// test, a crash).
public enum TestSubprocess {
    /// The name of the check a child process runs.
    public static let nameVariable = "SMOKEFLOW_SUBPROCESS"
    /// Where the child writes its report.
    public static let reportVariable = "SMOKEFLOW_SUBPROCESS_REPORT"

    public struct Failed: Error, CustomStringConvertible {
        public let description: String
    }

    /// True in the child started for `name`.
    public static func isChild(_ name: String) -> Bool {
        ProcessInfo.processInfo.environment[nameVariable] == name
    }

    /// In the child: what the parent gets (empty: the check passed). One line per problem.
    public static func report(_ problems: [String]) throws {
        guard let path = ProcessInfo.processInfo.environment[reportVariable] else {
            throw Failed(description: "\(reportVariable) is not set: not a child of TestSubprocess.run")
        }
        try Data((problems.map { $0.replacingOccurrences(of: "\n", with: " ") + "\n" }.joined()).utf8)
            .write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Runs the test `filter` (Swift Testing's `--filter`, e.g. `SinkComplianceTests/stdoutChild`)
    /// as the child `name`, its standard output into `standardOutput` (a file path; default a
    /// temporary file), and returns the problems it reported. Throws when it reported none.
    public static func run(
        _ name: String, filter: String, standardOutput: String? = nil, environment: [String: String] = [:],
        timeout: Duration = .seconds(90)
    ) async throws -> [String] {
        let directory = temporaryDirectory()
        let reportPath = directory + "/report"
        let outputPath = standardOutput ?? directory + "/stdout"
        if standardOutput == nil { _ = FileManager.default.createFile(atPath: outputPath, contents: nil) }
        _ = FileManager.default.createFile(atPath: directory + "/stderr", contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = ["--testing-library", "swift-testing", "--filter", filter]
        process.environment = ProcessInfo.processInfo.environment
            .merging([nameVariable: name, reportVariable: reportPath]) { $1 }
            .merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/stderr"))
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw Failed(description: "\(filter) (\(name)) did not finish within \(timeout)")
        }
        guard let report = FileManager.default.contents(atPath: reportPath) else {
            let errors = (try? String(contentsOfFile: directory + "/stderr", encoding: .utf8)) ?? ""
            throw Failed(
                description: "\(filter) (\(name)) exited \(process.terminationStatus) without a report: \(errors.suffix(2000))")
        }
        return String(decoding: report, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}

/// Polls `condition` every `interval` until it holds or `timeout` has passed (by the clock,
/// however slow each poll is); whether it held. For conditions a test waits on instead of
/// sleeping a fixed time and hoping.
public func eventually(
    within timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: interval)
    }
}
