import Foundation
import LineProtocol
import NIOCore
import EventModel
import PipelineConfig
import PipelineRuntime
import SmokeflowTesting
import Testing

/// The `Sink` contract against every sink that needs no server: each batch acknowledged
/// exactly once, `delivered` only once it is durable, `failed` when the write cannot succeed.
/// (`influx` against the real servers: IntegrationTests/SinkComplianceIntegrationTests.swift.)
@Suite(.timeLimit(.minutes(2)))
struct SinkComplianceTests {
    @Test func fileSinkAcknowledgesEachBatchOnceAfterItIsWritten() async throws {
        let path = temporaryDirectory() + "/out.lp"
        let violations = try await SinkCompliance.check(type: "file", options: "path: \(path), flush_interval: 10ms", durable: SinkCompliance.linesIn(path))
        #expect(violations.isEmpty, "\(violations)")
    }

    @Test func fileSinkWithManyBatchesInFlight() async throws {
        // More batches than the encoder holds at once (one per core) and a long flush interval:
        // the batches wait for one fsync at the end.
        let path = temporaryDirectory() + "/out.lp"
        let violations = try await SinkCompliance.check(
            type: "file", options: "path: \(path), flush_interval: 1h", batches: 40, durable: SinkCompliance.linesIn(path))
        #expect(violations.isEmpty, "\(violations)")
    }

    @Test func fixtureSinkAcknowledgesOnceTheFileIsRenamedIntoPlace() async throws {
        let path = temporaryDirectory() + "/out.lp.zst"
        let violations = try await SinkCompliance.check(type: "fixture", options: "path: \(path)", durable: SinkCompliance.fixtureAt(path))
        #expect(violations.isEmpty, "\(violations)")
    }

    @Test func rrdSinkAcknowledgesOnceTheFileHasTheRound() async throws {
        let root = temporaryDirectory()
        let violations = try await SinkCompliance.check(type: "rrd", options: "path: \(root)", durable: SinkCompliance.rrdUpdated(under: root))
        #expect(violations.isEmpty, "\(violations)")
    }

    /// Writes that cannot succeed. As root, permissions do not stop a write: a path under a
    /// regular file (ENOTDIR), a folder that does not exist, or /dev/full (ENOSPC) do.
    static func unwritable() throws -> (notADirectory: String, missing: String) {
        let directory = temporaryDirectory()
        try "x".write(toFile: directory + "/file", atomically: true, encoding: .utf8)
        return (directory + "/file", directory + "/no/such/dir")
    }

    @Test func fileSinkThatCannotOpenAcknowledgesFailed() async throws {
        let violations = try await SinkCompliance.check(type: "file", options: "path: \(try Self.unwritable().missing)/out.lp", expecting: .failed)
        #expect(violations.isEmpty, "\(violations)")
    }

    @Test func fileSinkThatCannotWriteAcknowledgesFailed() async throws {
        let violations = try await SinkCompliance.check(type: "file", options: "path: /dev/full, append: true", expecting: .failed, batches: 12)
        #expect(violations.isEmpty, "\(violations)")
    }

    @Test func fixtureSinkThatCannotOpenAcknowledgesFailed() async throws {
        let violations = try await SinkCompliance.check(type: "fixture", options: "path: \(try Self.unwritable().missing)/out.lp.zst", expecting: .failed)
        #expect(violations.isEmpty, "\(violations)")
    }

    @Test func rrdSinkThatCannotCreateItsFilesAcknowledgesFailed() async throws {
        let violations = try await SinkCompliance.check(type: "rrd", options: "path: \(try Self.unwritable().notADirectory)/rrd", expecting: .failed)
        #expect(violations.isEmpty, "\(violations)")
    }

    // MARK: stdout, in a process of its own (the check reads what the process wrote to it)

    @Test func stdoutSinkAcknowledgesEachBatchOnceAfterItIsWritten() async throws {
        let output = temporaryDirectory() + "/stdout"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let problems = try await TestSubprocess.run(
            "stdout-compliance", filter: "SinkComplianceTests/stdoutChild", standardOutput: output, environment: ["STDOUT_FILE": output])
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func stdoutSinkThatCannotWriteAcknowledgesFailed() async throws {
        let problems = try await TestSubprocess.run(
            "stdout-compliance", filter: "SinkComplianceTests/stdoutChild", standardOutput: "/dev/full", environment: ["STDOUT_FILE": "/dev/full"])
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test(.enabled(if: TestSubprocess.isChild("stdout-compliance")))
    func stdoutChild() async throws {
        let output = try #require(ProcessInfo.processInfo.environment["STDOUT_FILE"])
        let violations = output == "/dev/full"
            ? try await SinkCompliance.check(type: "stdout", expecting: .failed)
            : try await SinkCompliance.check(type: "stdout", durable: SinkCompliance.linesIn(output))
        try TestSubprocess.report(violations.map(\.description))
    }

    // MARK: The check itself fails for sinks that break the contract

    /// Each fault of the `broken` sink is reported for each of its 3 batches; `none` passes.
    @Test(arguments: BrokenSinkConfiguration.Fault.allCases.filter { $0 != .swallow })
    func detectsASinkThatBreaksTheContract(fault: BrokenSinkConfiguration.Fault) async throws {
        let path = temporaryDirectory() + "/out.lp"
        let violations = try await SinkCompliance.check(
            type: "broken", options: "path: \(path), fault: \(fault.rawValue)", batches: 3, registry: .broken,
            durable: SinkCompliance.linesIn(path))
        switch fault {
        case .twice: #expect(Set(violations) == Set((0..<3).map { .acknowledgedTwice(batch: $0) }), "\(violations)")
        case .never: #expect(Set(violations) == Set((0..<3).map { .neverAcknowledged(batch: $0) }), "\(violations)")
        case .early:
            // Acknowledged, then written: the check runs inside the acknowledgement, before the write.
            #expect(violations.count == 3 && violations.allSatisfy { if case .notDurable = $0 { true } else { false } }, "\(violations)")
        case .none, .swallow: #expect(violations.isEmpty, "\(violations)")
        }
    }

    @Test func detectsASinkThatDeliversWhatItCouldNotWrite() async throws {
        let violations = try await SinkCompliance.check(
            type: "broken", options: "path: \(try Self.unwritable().missing)/out.lp, fault: swallow", expecting: .failed, batches: 3,
            registry: .broken)
        #expect(Set(violations) == Set((0..<3).map { SinkCompliance.Violation.status(batch: $0, .delivered) } + [.runSucceeded]), "\(violations)")
    }
}

extension ComponentRegistry {
    /// The testing registry plus `broken`.
    static var broken: ComponentRegistry {
        var registry = ComponentRegistry.testing
        registry.register(BrokenSinkConfiguration.self)
        return registry
    }
}

/// `type: broken` — appends line protocol to `path` and breaks the contract as `fault` says:
/// `twice` (acknowledges each batch twice), `early` (acknowledges, then writes), `never`
/// (never acknowledges), `swallow` (acknowledges delivered when the write failed), `none`.
struct BrokenSinkConfiguration: SinkConfiguration {
    static let typeName = "broken"
    enum Fault: String, CaseIterable, Sendable { case none, twice, early, never, swallow }
    var path: String
    var fault: Fault

    init(options: inout OptionsReader) {
        path = options.requiredString("path")
        fault = options.oneOf("fault", default: .none)
    }

    func build(_ context: BuildContext) throws -> BrokenSink { BrokenSink(configuration: self) }
}

struct BrokenSink: Sink {
    let configuration: BrokenSinkConfiguration

    func append(_ batch: Batch) throws {
        var encoder = LineProtocolEncoder()
        var buffer = ByteBuffer()
        for point in batch.points { try encoder.encode(point, into: &buffer) }
        if !FileManager.default.fileExists(atPath: configuration.path) {
            guard FileManager.default.createFile(atPath: configuration.path, contents: nil) else {
                throw IOError(ENOENT, "open", path: configuration.path)
            }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: configuration.path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(buffer.readableBytesView))
    }

    func run(context: StageContext, input: StageInput) async throws {
        for await batch in input {
            switch configuration.fault {
            case .none:
                try append(batch)
                batch.acknowledge(.delivered)
            case .twice:
                try append(batch)
                batch.acknowledge(.delivered)
                batch.acknowledge(.delivered)
            case .early:
                batch.acknowledge(.delivered)
                try append(batch)
            case .never:
                try append(batch)
            case .swallow:
                try? append(batch)
                batch.acknowledge(.delivered)
            }
        }
    }
}
