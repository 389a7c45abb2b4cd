public import Foundation

/// What a program printed on its standard output (and standard error, when merged) and how it
/// exited.
public struct ProgramOutput: Sendable {
    public var status: Int32
    public var output: String
}

/// Runs `work` on a thread of its own and awaits it. Tests run in parallel on a cooperative pool
/// of one thread per core (two in CI): a test that waits for a child process or a slow C call on
/// one of them stalls every other test's pipeline for as long, so blocking waits go here.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// Runs a program to the end on a thread of its own: rrdtool, zstdcat, curl, `swift package
/// describe`. Its standard error goes with the output when `mergingErrors`, else nowhere.
public func runProgram(_ executable: String, _ arguments: [String], mergingErrors: Bool = false) async throws -> ProgramOutput {
    try await onOwnThread { try runProgramBlocking(executable, arguments, mergingErrors: mergingErrors) }
}

/// `runProgram` for callers that cannot await (an acknowledgement handler): blocks its thread,
/// so only for tools that finish in milliseconds.
public func runProgramBlocking(_ executable: String, _ arguments: [String], mergingErrors: Bool = false) throws -> ProgramOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = mergingErrors ? output : FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProgramOutput(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
}

extension Process {
    /// Waits for the process to end without holding a thread (`waitUntilExit` blocks one).
    public func exited() async {
        while isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        waitUntilExit()  // reaped already: returns at once, and makes terminationStatus valid
    }
}
