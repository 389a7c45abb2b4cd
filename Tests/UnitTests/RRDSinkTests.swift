import SmokePingFiles
import Foundation
import LineProtocol
import LibRRD
import EventModel
import PipelineRuntime
import SmokeflowTesting
import Testing

@Suite(.timeLimit(.minutes(3)))
struct RRDSinkTests {
    func schema(_ path: String) async throws -> [String] { try await SmokePingTree.schema(path) }

    @Test func writesSmokePingFilesFromAFixture() async throws {
        let directory = temporaryDirectory()
        let report = try await runPipeline("""
            sources:
              recorded: { type: fixture, path: "\(packageRoot())/fixtures/day.lp.zst" }
            sinks:
              store: { type: rrd, inputs: [recorded], path: \(directory) }
            """)
        #expect(report.succeeded, "\(report.failures)")
        let sink = try #require(report.counts.first { $0.id == "store" })
        #expect(sink.sent == 2304 && sink.dropped == 0)

        // Same layout as the file Smokeping.pm creates for a 20-ping target (Debian's Database).
        let reference = directory + "/reference.rrd"
        let layout = SmokePingLayout(pings: 20)
        try await SmokePingTree.rrdtool(["create", reference, "--start", "1764374400", "--step", "300"] + layout.dataSourceDefinitions + layout.archiveDefinitions)
        let written = directory + "/Core/router-001.rrd"
        #expect(try await schema(written) == schema(reference))
        let dns = try await SmokePingTree.rrdtool(["info", directory + "/DNS/resolver-a.rrd"])
        #expect(dns.contains("ds[ping5].type") && !dns.contains("ds[ping6]") && dns.contains("ds[loss].max = 5.0"))

        // The last round is stored exactly as SmokePing stores a round: seconds, sorted, split unknowns.
        let points = try LineProtocolParser.parse(String(decoding: try zstdDecompressed(packageRoot() + "/fixtures/day.lp.zst"), as: UTF8.self))
        let last = try #require(points.last { $0.tag("path") == "Core/router-001" })
        let times = (1...20).compactMap { index -> Double? in
            if case .float(let value) = last.field("ping_\(index)") { return value / 1000 } else { return nil }
        }
        let expected = layout.updateValue(roundTripTimes: times).split(separator: ":").dropFirst().map(String.init)
        let lastLine = try #require(try await SmokePingTree.rrdtool(["lastupdate", written]).split(separator: "\n").last)
        let stored = lastLine.split(separator: " ").dropFirst().dropFirst()
        func normalized(_ value: Substring) -> String { value == "U" ? "U" : Double(value).map { String(format: "%.10e", $0) } ?? "not a number: \(value)" }
        #expect(stored.map(normalized) == expected.map { normalized(Substring($0)) })
    }

    @Test func refusesPathsOutsideTheTreeAndStaleRounds() async throws {
        let directory = temporaryDirectory()
        let round = { (path: String, time: Int64) in
            Point(measurement: "latency", tags: [.init("path", path), .init("target", "t")],
                  fields: [.init("median", .float(10)), .init("ping_1", .float(10)), .init("loss", .float(0)), .init("pings", .int(1))],
                  timestamp: time * 1_000_000_000)
        }
        let key = TestData.register([
            round("Core/ok", 1_764_374_700), round("../escape", 1_764_374_700), round("Core/ok", 1_764_375_000),
            round("Core/ok", 1_764_374_000), round("Core/sp ace", 1_764_374_700),
        ])
        let (probeKey, probe) = Observer.make()
        let report = try await runPipeline("""
            sources:
              src: { type: memory, key: \(key), probe: \(probeKey), batch_size: 3 }
            sinks:
              store: { type: rrd, inputs: [src], path: \(directory) }
            """)
        #expect(report.succeeded)
        let sink = try #require(report.counts.first { $0.id == "store" })
        #expect(sink.sent == 2 && sink.dropped == 3)
        #expect(probe.statuses.withLock { $0 } == [.rejected, .rejected])
        #expect(!FileManager.default.fileExists(atPath: (directory as NSString).deletingLastPathComponent + "/escape.rrd"))
        #expect(try await SmokePingTree.rrdtool(["last", directory + "/Core/ok.rrd"]).hasPrefix("1764375000"))
    }

    static func round(_ path: String, nanoseconds: Int64, pings: Int) -> Point {
        Point(measurement: "latency", tags: [.init("path", path), .init("target", "t")],
              fields: [.init("median", .float(10)), .init("loss", .float(0)), .init("pings", .int(Int64(pings)))]
                + (1...pings).map { .init("ping_\($0)", .float(10)) },
              timestamp: nanoseconds)
    }

    /// Review H7: rounds librrd would refuse (another ping count than the file has, two rounds
    /// in one second) are rejected and counted, never a failure that the same batch repeats
    /// after every restart.
    @Test func roundsLibrrdWouldRefuseAreRejectedNotAPoisonPill() async throws {
        let directory = temporaryDirectory()
        let second: Int64 = 1_000_000_000
        let start: Int64 = 1_764_374_700
        let key = TestData.register([
            Self.round("Core/a", nanoseconds: start * second, pings: 20),
            Self.round("Core/a", nanoseconds: (start + 300) * second, pings: 30),  // pings changed
            Self.round("Core/a", nanoseconds: (start + 600) * second + 100_000_000, pings: 20),
            Self.round("Core/a", nanoseconds: (start + 600) * second + 900_000_000, pings: 20),  // the same second
            Self.round("Core/a", nanoseconds: (start + 900) * second, pings: 20),
        ])
        let (probeKey, probe) = Observer.make()
        let pipeline = """
            sources:
              src: { type: memory, key: \(key), probe: \(probeKey), batch_size: 5 }
            sinks:
              store: { type: rrd, inputs: [src], path: \(directory) }
            """
        let report = try await runPipeline(pipeline)
        #expect(report.succeeded, "\(report.failures)")
        let sink = try #require(report.counts.first { $0.id == "store" })
        #expect(sink.sent == 3 && sink.dropped == 2)
        #expect(probe.statuses.withLock { $0 } == [.rejected])
        #expect(try await SmokePingTree.rrdtool(["last", directory + "/Core/a.rrd"]).hasPrefix("\(start + 900)"))
        // The file existed before this run: its 20 pings still rule.
        let (againKey, again) = Observer.make()
        let later = TestData.register([Self.round("Core/a", nanoseconds: (start + 1200) * second, pings: 30)])
        let rerun = try await runPipeline(pipeline.replacingOccurrences(of: key, with: later).replacingOccurrences(of: probeKey, with: againKey))
        #expect(rerun.succeeded, "\(rerun.failures)")
        #expect(again.statuses.withLock { $0 } == [.rejected])
    }
}
