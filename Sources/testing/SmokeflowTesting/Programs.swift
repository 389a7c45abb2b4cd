import Foundation

/// What a program printed on its standard output (and standard error, when merged) and how it
/// exited.
public struct ProgramOutput: Sendable {
    public var status: Int32
    public var output: String
}

/// Runs a program to the end, blocking: rrdtool, zstdcat, curl, `swift package describe`. Its
/// standard error goes with the output when `mergingErrors`, else nowhere.
public func runProgram(_ executable: String, _ arguments: [String], mergingErrors: Bool = false) throws -> ProgramOutput {
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
