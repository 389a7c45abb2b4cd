import Foundation
import LineProtocol
import EventModel
import PipelineRuntime
import SmokeflowTesting
import Testing
import Zstd

@Suite struct FixtureReplayTests {
    let fixture = packageRoot() + "/fixtures/day.lp.zst"

    func replay(_ path: String, to output: String) async throws -> RunReport {
        try await runPipeline("""
            sources:
              recorded: { type: fixture, path: "\(path)", batch_size: 100 }
            sinks:
              out: { type: file, inputs: [recorded], path: "\(output)" }
            """)
    }

    func compress(_ text: Data) throws -> Data {
        let compressor = try ZstdCompressor(level: 3)
        var output = Data()
        try text.withUnsafeBytes { try compressor.compress($0, end: true) { output.append(contentsOf: $0) } }
        return output
    }

    @Test(arguments: ["day", "outage"])
    func replayIsDeterministicAndExact(name: String) async throws {
        let fixture = packageRoot() + "/fixtures/\(name).lp.zst"
        let directory = temporaryDirectory()
        let first = try await replay(fixture, to: directory + "/a.lp")
        let second = try await replay(fixture, to: directory + "/b.lp")
        #expect(first.succeeded && second.succeeded)
        let a = try Data(contentsOf: URL(fileURLWithPath: directory + "/a.lp"))
        let b = try Data(contentsOf: URL(fileURLWithPath: directory + "/b.lp"))
        #expect(a == b)
        #expect(a.count > 100_000)
        #expect(a.filter { $0 == UInt8(ascii: "\n") }.count == (name == "day" ? 2304 : 432))
        // The shipped fixture is in our canonical form, so replay reproduces it byte for byte.
        let original = try zstdDecompressed(fixture)
        #expect(a == original)
    }

    @Test func aTruncatedFixtureNamesTheFileAndOffsetAndWritesOnlyWholeLines() async throws {
        let directory = temporaryDirectory()
        let full = try Data(contentsOf: URL(fileURLWithPath: fixture))
        let truncated = directory + "/truncated.lp.zst"
        try full.prefix(full.count / 2).write(to: URL(fileURLWithPath: truncated))
        let report = try await replay(truncated, to: directory + "/out.lp")
        #expect(!report.succeeded)
        let message = report.failures.first?.description ?? ""
        #expect(message.hasPrefix("source 'recorded': \(truncated): truncated zstd frame (at compressed byte \(full.count / 2))"))
        let written = try String(contentsOfFile: directory + "/out.lp", encoding: .utf8)
        #expect(written.isEmpty || written.hasSuffix("\n"))
        #expect(try LineProtocolParser.parse(written).count == written.split(separator: "\n").count)
    }

    /// Review L3: a file with no newline in sight is an error naming the file and line, not a
    /// line held whole in memory (and rescanned at every chunk).
    @Test func aLineLongerThanTheLimitIsAnErrorNotUnboundedMemory() async throws {
        let directory = temporaryDirectory()
        let path = directory + "/endless.lp.zst"
        let text = "latency,target=a median=1 1\n" + String(repeating: "a", count: 3 << 20)
        try compress(Data(text.utf8)).write(to: URL(fileURLWithPath: path))
        let report = try await replay(path, to: directory + "/out.lp")
        #expect(!report.succeeded)
        let message = report.failures.first?.description ?? ""
        #expect(message == "source 'recorded': \(path):2:1: line longer than 1 MiB (not line protocol?)", "\(message)")
    }

    @Test(arguments: [0, 5000])
    func corruptDataNamesTheFileAndWhere(at offset: Int) async throws {
        let directory = temporaryDirectory()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture)))
        for index in offset..<(offset + 100) { bytes[index] ^= 0x5A }
        let corrupt = directory + "/corrupt.lp.zst"
        try Data(bytes).write(to: URL(fileURLWithPath: corrupt))
        let report = try await replay(corrupt, to: directory + "/out.lp")
        #expect(!report.succeeded)
        let message = report.failures.first?.description ?? ""
        if offset == 0 {
            // A broken frame header is zstd's to notice, at the byte it stopped.
            #expect(message == "source 'recorded': \(corrupt): corrupt zstd data: Unknown frame descriptor (at compressed byte 0)")
        } else {
            // Damage inside a block may decode to garbage that the parser rejects first
            // (the frame checksum is only checked at its end): either way, file and place.
            #expect(message.hasPrefix("source 'recorded': \(corrupt)"), "\(message)")
            #expect(message.contains("at compressed byte") || message.range(of: #":\d+:\d+: "#, options: .regularExpression) != nil)
        }
        let written = try String(contentsOfFile: directory + "/out.lp", encoding: .utf8)
        #expect(written.isEmpty || written.hasSuffix("\n"))
    }

    @Test func aBadLineNamesTheFileLineAndColumn() async throws {
        let directory = temporaryDirectory()
        let path = directory + "/bad.lp.zst"
        try compress(Data("m f=1 1\nm f=2 2\nm f=oops 3\n".utf8)).write(to: URL(fileURLWithPath: path))
        let report = try await replay(path, to: directory + "/out.lp")
        #expect(report.failures.map(\.description) == ["source 'recorded': \(path):3:5: invalid field value"])
        // The batch in progress is dropped whole: no half batch reaches the sink.
        #expect(try String(contentsOfFile: directory + "/out.lp", encoding: .utf8) == "")
    }

    @Test func recordThenReplayRoundTrips() async throws {
        let directory = temporaryDirectory()
        let recorded = directory + "/again.lp.zst"
        let report = try await runPipeline("""
            sources:
              recorded: { type: fixture, path: "\(fixture)" }
            sinks:
              again: { type: fixture, inputs: [recorded], path: "\(recorded)", level: 3 }
            """)
        #expect(report.succeeded)
        #expect(!FileManager.default.fileExists(atPath: recorded + ".partial"))
        #expect(try zstdDecompressed(recorded) == zstdDecompressed(fixture))
    }
}
