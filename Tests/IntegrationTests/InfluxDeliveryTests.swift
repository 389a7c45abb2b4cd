import EventModel
import PipelineRuntime
import SmokeflowTesting
import Testing

/// What the `influx` sink does with answers other than 2xx, 413 and a partial write: nothing
/// written, so it retries and positions never move (issue 11, review C2, H3, M3, M4, C13).
@Suite(.enabled(if: Servers.runIntegration), .serialized, .timeLimit(.minutes(2)))
struct InfluxDeliveryTests {
    func latencyPoints(_ count: Int, nonFiniteEvery: Int = 0) -> [Point] {
        (0..<count).map { index in
            let bad = nonFiniteEvery > 0 && index % nonFiniteEvery == 0
            return Point(
                measurement: "latency", tags: [.init("target", "router-\(index % 20)")],
                fields: [.init("median", .float(bad ? .nan : Double(index) / 3)), .init("loss", .float(bad ? .infinity : 0))],
                timestamp: Int64(index) * 1_000_000_000)
        }
    }

    /// Points through the proxy into a fresh database: the report, the acknowledgements, the count stored.
    func run(
        _ points: [Point], faults: [FaultProxy.Fault], options: String = "", upstream: String? = nil
    ) async throws -> (report: RunReport, statuses: [DeliveryStatus], stored: Int, requests: Int) {
        let base = try #require(upstream ?? Servers.influxURL)
        let database = "delivery_\(UInt32.random(in: 0...UInt32.max))"
        try await Servers.createDatabase(base, database, from: 0, to: Int64(points.count))
        let proxy = FaultProxy(upstream: base, faults: faults)
        try await proxy.start()
        let (probeKey, probe) = Observer.make()
        let key = TestData.register(points)
        let report = try await runPipeline("""
            sources:
              src: { type: memory, key: \(key), probe: \(probeKey), batch_size: \(points.count) }
            sinks:
              influx:
                type: influx
                inputs: [src]
                url: "\(proxy.url)"
                database: \(database)
                retry_initial_backoff: 10ms
                retry_max_backoff: 200ms
            \(options)
            """)
        await proxy.stop()
        let stored = try await Servers.influxCount(base, database, "median", from: "latency")
        return (report, probe.statuses.withLock { $0 }, stored, proxy.requestTimes.withLock { $0.count })
    }

    static let retried: [(String, [FaultProxy.Fault])] = [
        ("408 request timeout", [.status(408, retryAfter: nil)]),
        ("request-level 400s", [
            .answer(400, body: #"{"code":"invalid","message":"Please provide either orgID or org"}"#),
            .answer(400, body: #"{"error":"invalid precision"}"#),
            .answer(400, body: "<html><h1>400 Request Header Or Cookie Too Large</h1></html>"),
            .answer(422, body: #"{"code":"unprocessable entity","message":"bad request"}"#),
        ]),
        ("unexpected statuses", [405, 409, 410, 415, 421, 425, 431, 451, 499].map { FaultProxy.Fault.status($0, retryAfter: nil) }),
        ("401, 403 and 404 from a proxy while the backend restarts", [
            .status(401, retryAfter: nil), .status(403, retryAfter: nil), .answer(404, body: #"{"error":"database not found: \"x\""}"#),
        ]),
        ("Retry-After negative, garbage and huge", [
            .answer(503, headers: ["Retry-After": "-5"]), .answer(503, headers: ["Retry-After": "soon"]),
            .answer(429, headers: ["Retry-After": "9223372036854775807"]), .answer(503, headers: ["Retry-After": "99999999999999999999"]),
        ]),
    ]

    @Test(arguments: retried)
    func answersThatWroteNothingAreRetriedUntilWritten(name: String, faults: [FaultProxy.Fault]) async throws {
        let result = try await run(latencyPoints(100), faults: faults)
        #expect(result.report.succeeded, "\(name): \(result.report.failures)")
        #expect(result.statuses == [.delivered], "\(name)")
        #expect(result.stored == 100, "\(name)")
        #expect(result.requests == faults.count + 1, "\(name)")
        let sink = try #require(result.report.counts.first { $0.id == "influx" })
        #expect(sink.dropped == 0 && sink.sent == 100, "\(name)")
    }

    /// A redirect is never followed (a POST redirected by 301/302 arrives as a GET without its
    /// body, here at a server answering 405): it writes nothing, so the sink retries.
    @Test func redirectsAreNotFollowedButRetried() async throws {
        let elsewhere = FaultProxy(upstream: "", faults: [], afterwards: .status(405, retryAfter: nil))
        try await elsewhere.start()
        let faults: [FaultProxy.Fault] = [301, 302, 307, 308].map {
            .answer($0, headers: ["Location": elsewhere.url + "/write?db=elsewhere"])
        }
        let result = try await run(latencyPoints(100), faults: faults)
        await elsewhere.stop()
        #expect(result.report.succeeded, "\(result.report.failures)")
        #expect(result.statuses == [.delivered] && result.stored == 100)
        #expect(result.requests == faults.count + 1)
        #expect(elsewhere.requestTimes.withLock { $0.isEmpty }, "a redirect was followed")
    }

    /// InfluxDB 1.x names every unparsable line in its 400: a body far over the 64 KiB read is
    /// still one partial write, refused for good, not a transport error retried forever.
    @Test func aPartialWriteWithAHugeBodyIsOneRejection() async throws {
        let line = "unable to parse 'latency,target=x median=oops 1': invalid boolean\\n"
        let body = #"{"error":"partial write: "# + String(repeating: line, count: 2000) + #" dropped=100"}"#
        #expect(body.utf8.count > 100 * 1024)
        let result = try await run(latencyPoints(100), faults: [.answer(400, body: body)])
        #expect(result.report.succeeded, "\(result.report.failures)")
        #expect(result.statuses == [.rejected])
        #expect(result.requests == 1)
        let sink = try #require(result.report.counts.first { $0.id == "influx" })
        #expect(sink.dropped > 0)
    }

    /// A storm of 413s (a proxy or load balancer refusing for a while; scripts/chaos scenario
    /// 4) split requests down to single lines, and each single line was dropped as "too large":
    /// points lost. A single line no larger than an accepted body is retried; one refused from
    /// the first request on, before any body was accepted, is sent again (up to 10 times)
    /// before it counts as too large.
    @Test(arguments: [
        ("after an accepted body", [FaultProxy.Fault.forward] + Array(repeating: .status(413, retryAfter: nil), count: 7)),
        ("from the first request", Array(repeating: FaultProxy.Fault.status(413, retryAfter: nil), count: 7)),
    ])
    func aStormOf413sLosesNoLine(when: String, faults: [FaultProxy.Fault]) async throws {
        let result = try await run(latencyPoints(8), faults: faults, options: "    batch_max_lines: 4\n    concurrency: 1\n    gzip: false")
        #expect(result.report.succeeded, "\(when): \(result.report.failures)")
        #expect(result.stored == 8, "\(when)")
        #expect(result.statuses == [.delivered], "\(when)")
        let sink = try #require(result.report.counts.first { $0.id == "influx" })
        #expect(sink.dropped == 0 && sink.sent == 8, "\(when)")
    }

    /// The v2 shape of a partial write (422 naming the dropped points) is a rejection too.
    @Test func aV2PartialWriteIsARejection() async throws {
        let body = #"{"code":"unprocessable entity","message":"failure writing points to database: partial write: points beyond retention policy dropped=7"}"#
        let result = try await run(latencyPoints(100), faults: [.answer(422, body: body)])
        #expect(result.statuses == [.rejected] && result.requests == 1)
        let sink = try #require(result.report.counts.first { $0.id == "influx" })
        #expect(sink.dropped == 7 && sink.sent == 93)
    }

    /// A point whose fields are all NaN or ±Inf cannot be written: it is dropped and its batch
    /// is rejected, never counted as sent; the 413 split still cuts at line boundaries.
    @Test(arguments: [false, true])
    func pointsWithoutFiniteFieldsAreDroppedAndRejected(split: Bool) async throws {
        let server = OwnInfluxd(httpSettings: split ? "max-body-size = 4096" : "")
        try await server.start()
        defer { server.terminate() }
        let options = split ? "    gzip: false\n    batch_max_lines: 1000" : ""
        let result = try await run(latencyPoints(1000, nonFiniteEvery: 10), faults: [], options: options, upstream: server.url)
        #expect(result.report.succeeded, "\(result.report.failures)")
        #expect(result.statuses == [.rejected])
        #expect(result.stored == 900)
        let sink = try #require(result.report.counts.first { $0.id == "influx" })
        #expect(sink.dropped == 100 && sink.sent == 900)
    }

    /// While the server refuses connections the sink keeps trying at a short interval whatever
    /// its backoff settings say, so delivery resumes soon after the server is back. A 5-minute
    /// backoff would outlast the test's time limit: passing bounds a hang, not a speed. The
    /// request timeout is long on purpose: a refused connection must fail at once without it,
    /// and a request that merely took long (500 ms was missed once on a loaded machine, after
    /// the resume) is not a refusal and waits the long backoff.
    @Test func deliveryResumesAfterRefusedConnectionsDespiteALongBackoff() async throws {
        let base = try #require(Servers.influxURL)
        let database = "refused_\(UInt32.random(in: 0...UInt32.max))"
        try await Servers.createDatabase(base, database, from: 0, to: 100)
        let proxy = FaultProxy(upstream: base, faults: [])
        try await proxy.start()
        await proxy.pause()
        let (probeKey, probe) = Observer.make()
        let key = TestData.register(latencyPoints(100))
        let run = Task {
            try await runPipeline("""
                sources:
                  src: { type: memory, key: \(key), probe: \(probeKey), batch_size: 100 }
                sinks:
                  influx:
                    type: influx
                    inputs: [src]
                    url: "\(proxy.url)"
                    database: \(database)
                    request_timeout: 60s
                    retry_initial_backoff: 5m
                    retry_max_backoff: 10m
                """)
        }
        #expect(await eventually(within: .seconds(30)) { probe.produced.load(ordering: .relaxed) == 100 })
        // Let a few refused attempts happen (a negative wait: a slow machine only weakens it).
        try await Task.sleep(for: .seconds(2))
        #expect(probe.statuses.withLock { $0.isEmpty })
        try await proxy.resume()
        let report = try await run.value
        await proxy.stop()
        #expect(report.succeeded, "\(report.failures)")
        #expect(probe.statuses.withLock { $0 } == [.delivered])
        #expect(try await Servers.influxCount(base, database, "median", from: "latency") == 100)
    }
}
