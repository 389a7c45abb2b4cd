import Components
import EventModel
import PipelineRuntime
import SmokeflowTesting
import Testing

/// The `influx` sink against a port nothing listens on (issue 11: recovery after an outage,
/// review L5). The settings make the old behaviour take many minutes, so the time limits bound
/// a hang (a refused connect waiting for `request_timeout`, a long backoff while unreachable),
/// never a speed.
@Suite struct InfluxUnreachableTests {
    func runAgainstAClosedPort(_ options: String, batches: Int = 1, batchSize: Int = 1) async throws -> (RunReport, Observer) {
        let points = (0..<(batches * batchSize)).map { Point(measurement: "m", fields: [.init("f", .float(Double($0)))], timestamp: Int64($0)) }
        let key = TestData.register(points)
        let (probeKey, probe) = Observer.make()
        let report = try await runPipeline("""
            sources:
              src: { type: memory, key: \(key), probe: \(probeKey), batch_size: \(batchSize) }
            sinks:
              influx:
                type: influx
                inputs: [src]
                url: "http://127.0.0.1:\(freePort())"
                database: d
            \(options)
            """)
        return (report, probe)
    }

    @Test(.timeLimit(.minutes(1)))
    func aRefusedConnectionFailsAtOnceNotAfterTheRequestTimeout() async throws {
        let (report, _) = try await runAgainstAClosedPort("""
                request_timeout: 10m
                retry_initial_backoff: 1ms
                retry_max_attempts: 2
            """)
        let failure = try #require(report.failures.first)
        let error = try #require(failure.cause as? InfluxWriteError, "\(failure)")
        #expect(error.reason == .retriesExhausted(attempts: 2))
        #expect(failure.description.contains("refused"), "\(failure)")
    }

    @Test(.timeLimit(.minutes(1)))
    func theBackoffWhileConnectionsAreRefusedIsCapped() async throws {
        let (report, _) = try await runAgainstAClosedPort("""
                request_timeout: 2s
                retry_initial_backoff: 10m
                retry_max_backoff: 10m
                retry_max_attempts: 3
            """)
        let failure = try #require(report.failures.first)
        let error = try #require(failure.cause as? InfluxWriteError, "\(failure)")
        #expect(error.reason == .retriesExhausted(attempts: 3))
    }

    /// A request that fails for good while another waits for a free slot: every source
    /// acknowledgement still fires (failed) once the pipeline has ended, none is left held.
    @Test(.timeLimit(.minutes(1)))
    func aSinkThatFailsMidDispatchReleasesEveryAcknowledgement() async throws {
        let (report, probe) = try await runAgainstAClosedPort("""
                request_timeout: 2s
                retry_max_attempts: 1
                concurrency: 1
                batch_max_lines: 5
            """, batches: 3, batchSize: 10)
        #expect(!report.succeeded)
        #expect(probe.produced.load(ordering: .relaxed) == 30)
        #expect(probe.statuses.withLock { $0 } == [.failed, .failed, .failed])
    }
}
