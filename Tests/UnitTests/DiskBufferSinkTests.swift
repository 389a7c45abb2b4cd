import EventModel
import Foundation
import LineProtocol
import NIOCore
import PipelineConfig
import PipelineRuntime
import SmokeflowTesting
import Testing
import Zstd
#if canImport(Glibc)
import Glibc
#endif

/// `buffer: { type: disk }` on a sink (issue 11): batches are acknowledged upstream once they
/// are on disk, replayed into the sink by the next run (after a shutdown or `kill -9`) until
/// the sink acknowledges them, and a full buffer blocks or drops as configured.
@Suite(.timeLimit(.minutes(3)))
struct DiskBufferSinkTests {
    static func points(_ range: Range<Int>) -> [Point] {
        range.map { Point(measurement: "m", tags: [.init("t", "x")], fields: [.init("n", .int(Int64($0)))], timestamp: Int64($0) * 1_000_000_000) }
    }

    static func numbers(_ points: [Point]) -> [Int64] {
        points.compactMap { if case .int(let n) = $0.field("n") { return n } else { return nil } }
    }

    static func segments(_ state: String, sink: String = "out") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: state + "/buffers/" + sink)) ?? []).filter { $0.hasSuffix(".seg") }
    }

    @Test func everythingReachesTheSinkInOrderAndTheBufferEndsEmpty() async throws {
        let state = temporaryDirectory()
        let key = TestData.register(Self.points(0..<2_000))
        let (sourceKey, source) = Observer.make()
        let (sinkKey, sink) = Observer.make()
        let report = try await runPipeline("""
            state_dir: \(state)
            sources:
              src: { type: memory, key: \(key), probe: \(sourceKey), batch_size: 10 }
            sinks:
              out: { type: collect, inputs: [src], probe: \(sinkKey), buffer: { type: disk, max_size: 8MiB, fsync_interval: 50ms } }
            """)
        #expect(report.succeeded, "\(report.failures)")
        #expect(Self.numbers(sink.received.withLock { $0 }) == Array(0..<2_000))
        let statuses = source.statuses.withLock { $0 }
        #expect(statuses.count == 200 && statuses.allSatisfy { $0 == .delivered }, "\(Set(statuses))")
        #expect(Self.segments(state).isEmpty, "acknowledged segments are deleted: \(Self.segments(state))")
    }

    @Test func whatTheSinkNeverAcknowledgedIsReplayedByTheNextRun() async throws {
        let state = temporaryDirectory()
        let key = TestData.register(Self.points(0..<500))
        let (sourceKey, source) = Observer.make()
        let (stallKey, _) = Observer.make()
        // Run 1: the sink hangs. Every batch is still acknowledged upstream, being on disk.
        let pipeline = """
            state_dir: \(state)
            shutdown_timeout: 1s
            sources:
              src: { type: memory, key: \(key), probe: \(sourceKey), batch_size: 50 }
            sinks:
              out: { type: stall, inputs: [src], probe: \(stallKey), buffer: { type: disk, fsync_interval: 20ms } }
            """
        let first = Task { try await runPipeline(pipeline) { $0.once = false } }
        let durable = await eventually(within: .seconds(60)) { source.statuses.withLock { $0.count } == 10 }
        first.cancel()
        _ = try? await first.value
        #expect(durable, "acknowledged upstream while the sink hangs: \(source.statuses.withLock { $0 })")
        #expect(source.statuses.withLock { $0 }.allSatisfy { $0 == .delivered })
        #expect(!Self.segments(state).isEmpty)

        // Run 2: the same sink id, now working, and a source with nothing new.
        let (sinkKey, sink) = Observer.make()
        let report = try await runPipeline("""
            state_dir: \(state)
            sources:
              src: { type: memory, key: \(TestData.register([])) }
            sinks:
              out: { type: collect, inputs: [src], probe: \(sinkKey), buffer: { type: disk } }
            """)
        #expect(report.succeeded, "\(report.failures)")
        #expect(Self.numbers(sink.received.withLock { $0 }) == Array(0..<500))
        #expect(Self.segments(state).isEmpty)
    }

    @Test func dropNewestDropsAndCountsWhenFullAndNeverStallsTheSource() async throws {
        let state = temporaryDirectory()
        // Incompressible points, about 1 KiB each on disk: 5,000 do not fit in 1 MiB.
        let noisy = (0..<5_000).map { index in
            let noise = (0..<48).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 36) }.joined()
            return Point(measurement: "m", fields: [.init("noise", .string(noise))], timestamp: Int64(index))
        }
        let key = TestData.register(noisy)
        let (sourceKey, source) = Observer.make()
        let (stallKey, _) = Observer.make()
        let run = Task {
            try await runPipeline("""
                state_dir: \(state)
                shutdown_timeout: 1s
                sources:
                  src: { type: memory, key: \(key), probe: \(sourceKey), batch_size: 100 }
                sinks:
                  out: { type: stall, inputs: [src], probe: \(stallKey), buffer: { type: disk, max_size: 1MiB, when_full: drop_newest } }
                """) { $0.once = false }
        }
        let allAnswered = await eventually(within: .seconds(60)) { source.statuses.withLock { $0.count } == 50 }
        run.cancel()
        let report = try? await run.value
        #expect(allAnswered, "every batch was answered: \(source.statuses.withLock { $0.count }) of 50")
        let statuses = source.statuses.withLock { $0 }
        #expect(statuses.contains(.delivered) && statuses.contains(.rejected), "some fit, the rest were dropped: \(statuses)")
        if let counts = report?.counts.first(where: { $0.id == "out" }) { #expect(counts.dropped > 0) }
        let bytes = Self.segments(state).reduce(0) { total, name in
            total + ((try? FileManager.default.attributesOfItem(atPath: state + "/buffers/out/" + name)[.size] as? Int) ?? 0)
        }
        #expect(bytes <= 1 << 20, "max_size holds: \(bytes) bytes")
    }

    @Test func aDiskBufferWithoutAStateDirectoryIsAClearError() async throws {
        let key = TestData.register(Self.points(0..<1))
        do {
            _ = try await runPipeline("""
                sources:
                  src: { type: memory, key: \(key) }
                sinks:
                  out: { type: collect, inputs: [src], probe: p, buffer: { type: disk } }
                """)
            Issue.record("a disk buffer ran without state_dir")
        } catch {
            #expect("\(error)".contains("buffer type 'disk' of 'out' needs state_dir"), "\(error)")
        }
    }
}

/// `kill -9` of a real `smokeflow run` whose InfluxDB is unreachable: the next run replays
/// every buffered point into the sink (here a `file` sink under the same id).
@Suite(.timeLimit(.minutes(3)))
struct DiskBufferCrashTests {
    @Test func aKilledRunsBufferIsReplayedByTheNextRun() async throws {
        let directory = temporaryDirectory()
        let points = DiskBufferSinkTests.points(0..<3_000)
        var encoder = LineProtocolEncoder()
        var text = ByteBufferAllocator().buffer(capacity: 1 << 16)
        for point in points { try encoder.encode(point, into: &text) }
        let compressor = try ZstdCompressor()
        let compressed = try text.withUnsafeReadableBytes { try compressor.compressFrame($0) }
        FileManager.default.createFile(atPath: directory + "/in.lp.zst", contents: Data(compressed))
        try await onOwnThread {
            let compressedEmpty = try [UInt8]().withUnsafeBytes { try ZstdCompressor().compressFrame($0) }
            FileManager.default.createFile(atPath: directory + "/empty.lp.zst", contents: Data(compressedEmpty))
        }
        // Port 9 (discard) on loopback: nothing listens, every write is refused and retried.
        try """
            state_dir: \(directory)/state
            sources:
              src: { type: fixture, path: \(directory)/in.lp.zst, batch_size: 100 }
            sinks:
              out: { type: influx, inputs: [src], url: "http://127.0.0.1:9", database: d, buffer: { type: disk } }
            """.write(toFile: directory + "/first.yaml", atomically: true, encoding: .utf8)
        try """
            state_dir: \(directory)/state
            sources:
              src: { type: fixture, path: \(directory)/empty.lp.zst }
            sinks:
              out: { type: file, inputs: [src], path: \(directory)/out.lp, buffer: { type: disk } }
            """.write(toFile: directory + "/second.yaml", atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: smokeflowExecutable)
        process.arguments = ["run", directory + "/first.yaml", "--once", "--log-level", "info"]
        FileManager.default.createFile(atPath: directory + "/first.err", contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/first.err"))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let written = await eventually(within: .seconds(90)) {
            let log = (try? String(contentsOfFile: directory + "/first.err", encoding: .utf8)) ?? ""
            return log.contains("every batch of it is on disk") || !process.isRunning
        }
        kill(process.processIdentifier, SIGKILL)
        await process.exited()
        let firstLog = (try? String(contentsOfFile: directory + "/first.err", encoding: .utf8)) ?? ""
        #expect(written && process.terminationReason == .uncaughtSignal, "\(firstLog.suffix(2000))")

        let second = try await runProgram(smokeflowExecutable, ["run", directory + "/second.yaml", "--once", "--log-level", "info"], mergingErrors: true)
        #expect(second.status == 0, "\(second.output.suffix(2000))")
        #expect(second.output.contains("disk buffer: replaying 3000 points"), "\(second.output.suffix(2000))")
        let replayed = try LineProtocolParser.parse(try String(contentsOfFile: directory + "/out.lp", encoding: .utf8))
        #expect(replayed == points, "every point, once, in order (\(replayed.count) of \(points.count))")
    }
}
