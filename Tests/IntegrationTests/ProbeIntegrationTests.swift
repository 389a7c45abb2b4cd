import Foundation
import EventModel
import SmokeflowTesting
import Testing

/// The `probe` source against test hosts in network namespaces (real delay and loss from a
/// userspace responder, real dnsmasq/unbound, real fping and dig). Needs root.
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: ProbeLab.enabled))
struct ProbeIntegrationTests {
    func probe(_ options: String, targets: String) async throws -> [Point] {
        let (key, probe) = Observer.make()
        let report = try await runPipeline("""
            sources:
              round: { type: probe, \(options), targets: \(targets) }
            sinks:
              seen: { type: collect, inputs: [round], probe: \(key) }
            """)
        #expect(report.succeeded, "\(report.failures)")
        return probe.received.withLock { $0 }
    }

    /// A round trip through the lab's 20 ms responder: never shorter (kernel receive stamps),
    /// but a busy machine wakes the userspace responder late by as much as its load (26 ms was
    /// seen at a load of 10 on 2 cores), so the upper bound only catches a wrong unit or a
    /// stamp from the wrong packet. How close we are to a real prober at the same moment is
    /// `medianAgreesWithFping`'s question.
    static func isLabDelay(_ milliseconds: Double) -> Bool { milliseconds > 19.5 && milliseconds < 60 }

    func float(_ point: Point, _ key: String) -> Double? {
        if case .float(let value) = point.field(key) { return value }
        return nil
    }

    @Test func delayAndSeededLossAreMeasuredExactly() async throws {
        let lab = try await ProbeLab(delayMilliseconds: 20, loss: 0.1, seed: 42)
        defer { lab.down() }
        let points = try await probe("pings: 100, interval: 10ms", targets: "[{ name: lab, host: \(lab.v4) }]")
        let point = try #require(points.first)
        let stats = try lab.stats()
        #expect(stats.received == 100 && stats.dropped > 0)
        #expect(float(point, "lost") == Double(stats.dropped))
        #expect(float(point, "loss") == Double(stats.dropped))  // of 100 pings: percent = count
        #expect(point.field("pings") == .int(100))
        let median = try #require(float(point, "median"))
        #expect(Self.isLabDelay(median), "median \(median) ms")
        // Lost pings are absent, split int(lost/2) before the received times, which are sorted.
        let times = (1...100).compactMap { float(point, "ping_\($0)") }
        #expect(times.count == 100 - stats.dropped && times == times.sorted())
        #expect(point.field("ping_\(stats.dropped / 2)") == nil && point.field("ping_\(stats.dropped / 2 + 1)") != nil)
        try #require(!times.isEmpty)
        #expect(median == times[times.count / 2])
        #expect(point.tag("probe_type") == "fping" && point.timestamp % 1_000_000 == 0)
    }

    @Test func medianAgreesWithFping() async throws {
        let lab = try await ProbeLab(delayMilliseconds: 20, seed: 3)
        defer { lab.down() }
        // Both sample the same responder, whose wake-ups a busy machine delays by a varying
        // amount: the medians of two sets of 20 differ by about that spread (fping's middle
        // half), so that is the margin when it is wider than 2 ms. A fresh-clone CI run beside
        // the parallel suite measured ours 0.3–1.4 ms above fping's in all three rounds while
        // fping's middle half was under 1 ms: the two processes are not woken alike under load.
        // 2 ms (a tenth of the lab's delay) still fails a stamp taken at the wrong moment (the
        // 100 ms send interval, a scheduling pass), which is what this test is for.
        // A systematic error of ours (a stamp taken at the wrong moment) shows in every round;
        // a burst of load beside the test shows in one, so the test takes the best of three.
        var rounds: [String] = []
        for _ in 0..<3 {
            // Side by side, so both see the same moments of the (shared, busy) machine.
            async let fpingOutput = ProbeLab.runOnThread("/usr/bin/fping", ["-C", "20", "-q", "-p", "100", lab.v4])
            let points = try await probe("pings: 20, interval: 100ms", targets: "[{ name: lab, host: \(lab.v4) }]")
            let ours = try #require(points.first.flatMap { float($0, "median") })
            let fping = try await fpingOutput
            let times = (fping.split(separator: ":").last ?? "").split(whereSeparator: \.isWhitespace).compactMap { Double($0) }.sorted()
            // fping itself may miss a reply on a loaded machine (its own 500 ms timeout): that
            // round says nothing about our median, so it counts as one of the three tries.
            guard times.count == 20 else {
                rounds.append("fping got \(times.count) of 20 replies: \(fping)")
                continue
            }
            let theirs = times[times.count / 2]
            let spread = times[14] - times[5]
            if abs(ours - theirs) < max(2.0, spread) { return }
            rounds.append("smokeflow \(ours) ms, fping \(theirs) ms (fping's middle half spans \(spread) ms)")
        }
        Issue.record("the medians disagreed in every round: \(rounds.joined(separator: "; "))")
    }

    @Test func ipv6ToUniqueLocalAddresses() async throws {
        let lab = try await ProbeLab(delayMilliseconds: 20, loss: 0.2, seed: 9)
        defer { lab.down() }
        let points = try await probe("kind: icmp6, pings: 20, interval: 20ms", targets: "[{ name: lab6, host: \"\(lab.v6)\" }]")
        let point = try #require(points.first)
        let stats = try lab.stats()
        #expect(stats.received == 20 && float(point, "lost") == Double(stats.dropped))
        #expect(point.tag("probe_type") == "fping6")
        let median = try #require(float(point, "median"))
        #expect(Self.isLabDelay(median), "median \(median) ms")
    }

    @Test func answersAfterTheTimeoutAreLateAndLostNeverTimed() async throws {
        let lab = try await ProbeLab(delayMilliseconds: 200)
        defer { lab.down() }
        // Ping k leaves at 300k ms and times out at 300k + 100; its answer comes at 300k + 200,
        // while the round still runs (until 1300 ms) for all but the last ping (1400 ms).
        let points = try await probe("pings: 5, interval: 300ms, timeout: 100ms", targets: "[{ name: slow, host: \(lab.v4) }]")
        let point = try #require(points.first)
        #expect(float(point, "loss") == 100 && point.field("median") == nil && point.field("ping_1") == nil)
        #expect(point.field("late") == .int(4) && point.field("duplicates") == .int(0), "\(point.fields)")
    }

    @Test func duplicateAnswersAreCountedNotTimedTwice() async throws {
        let lab = try await ProbeLab(delayMilliseconds: 5, duplicate: true)
        defer { lab.down() }
        let points = try await probe("pings: 5, interval: 50ms", targets: "[{ name: twice, host: \(lab.v4) }]")
        let point = try #require(points.first)
        #expect(try lab.stats().answered == 10)
        // The last ping's copy arrives after its round has finished: counted while a round runs.
        #expect(point.field("duplicates") == .int(4) && float(point, "loss") == 0)
        #expect(point.field("ping_5") != nil && point.field("ping_6") == nil)
    }

    @Test func hostsThatDoNotResolveAreAnErrorAndFullLoss() async throws {
        let points = try await probe("pings: 3, interval: 10ms", targets: "[{ name: nowhere, host: nosuch.invalid }, { name: lo, host: 127.0.0.1 }]")
        let nowhere = try #require(points.first { $0.tag("target") == "nowhere" })
        #expect(float(nowhere, "loss") == 100 && float(nowhere, "lost") == 3 && nowhere.field("median") == nil)
        guard case .string(let error) = nowhere.field("error") else { Issue.record("no error field"); return }
        #expect(error.contains("nosuch.invalid"))
        let loopback = try #require(points.first { $0.tag("target") == "lo" })
        #expect(float(loopback, "loss") == 0)
    }

    /// The engine's thread ends with the source and its sockets close. Counted in a process
    /// of its own: in this one, tests running in parallel open and close descriptors too.
    @Test func theEngineReleasesItsSocketsWhenTheSourceEnds() async throws {
        let problems = try await TestSubprocess.run("probe-descriptors", filter: "ProbeIntegrationTests/probeDescriptorsChild")
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test(.enabled(if: TestSubprocess.isChild("probe-descriptors")))
    func probeDescriptorsChild() async throws {
        func open() -> [String] {
            let directory = "/proc/self/fd"
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            return entries.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + $0) }.sorted()
        }
        let targets = "[{ name: nowhere, host: nosuch.invalid }, { name: lo, host: 127.0.0.1 }]"
        // One run first, so what the process opens once and keeps (thread pools, the resolver)
        // is open before counting.
        _ = try await probe("pings: 3, interval: 10ms", targets: targets)
        let before = open()
        let points = try await probe("pings: 3, interval: 10ms", targets: targets)
        var problems: [String] = points.count == 2 ? [] : ["expected two rounds, got \(points.count)"]
        // Sockets only: each has an inode of its own, so a leak names itself. Other descriptors
        // (an eventfd of a pool thread the runtime starts lazily) came and went in loop runs.
        func sockets() -> [String] { open().filter { $0.hasPrefix("socket:") } }
        let socketsBefore = before.filter { $0.hasPrefix("socket:") }
        if !(await eventually(within: .seconds(5)) { sockets().allSatisfy(socketsBefore.contains) }) {
            let after = sockets()
            problems.append("sockets still open after the run: \(after.filter { !socketsBefore.contains($0) }) (\(socketsBefore.count) before, \(after.count) after)")
        }
        try TestSubprocess.report(problems)
    }

    @Test func dnsRcodesTimesAndTimeoutsAgainstDnsmasq() async throws {
        let lab = try await ProbeLab(range16: true, dns: true)
        defer { lab.down() }
        let points = try await probe(
            "kind: dns, pings: 5, interval: 50ms, timeout: 500ms, lookup: a.example.test",
            targets: """
                [{ name: ok, host: \(lab.dns) }, { name: aaaa, host: \(lab.dns), record: AAAA },
                 { name: nx, host: \(lab.dns), lookup: nope.example.test }, { name: fail, host: \(lab.dns), lookup: x.fail.test },
                 { name: silent, host: \(lab.range(0, 9)) }]
                """)
        func rcode(_ name: String) -> FieldValue? { points.first { $0.tag("target") == name }?.field("rcode") }
        #expect(rcode("ok") == .string("NOERROR") && rcode("aaaa") == .string("NOERROR"))
        #expect(rcode("nx") == .string("NXDOMAIN") && rcode("fail") == .string("SERVFAIL"))
        let silent = try #require(points.first { $0.tag("target") == "silent" })
        #expect(float(silent, "loss") == 100 && silent.field("rcode") == nil && silent.field("resolution_time") == nil)
        let ok = try #require(points.first { $0.tag("target") == "ok" })
        #expect(ok.measurement == "dns_latency" && ok.tag("resolver") == lab.dns && ok.tag("probe_type") == "dns")
        #expect(float(ok, "loss") == 0 && float(ok, "resolution_time") == float(ok, "median"))
        // dig reports whole milliseconds for the same question to the same server.
        let dig = try await ProbeLab.runOnThread("/usr/bin/dig", ["+tries=1", "+time=2", "@\(lab.dns)", "a.example.test"], allowFailure: false)
        #expect(dig.contains("10.9.8.7"))
        let digTime = try #require(dig.split(separator: "\n").first { $0.contains("Query time:") }?.split(separator: " ").compactMap { Double($0) }.first)
        let resolution = try #require(float(ok, "resolution_time"))
        #expect(resolution > 0 && resolution < digTime + 2, "smokeflow \(resolution) ms, dig \(digTime) ms")
    }

    @Test func probeRoundsBecomeSmokePingRRDFiles() async throws {
        let lab = try await ProbeLab(delayMilliseconds: 20, loss: 0.1, seed: 5)
        defer { lab.down() }
        let directory = temporaryDirectory()
        let report = try await runPipeline("""
            sources:
              ping: { type: probe, pings: 20, interval: 10ms, targets: [{ name: lab, host: \(lab.v4), path: Lab/lab }] }
            sinks:
              store: { type: rrd, inputs: [ping], path: \(directory) }
            """)
        #expect(report.succeeded, "\(report.failures)")
        let file = directory + "/Lab/lab.rrd"
        let info = try await SmokePingTree.rrdtool(["info", file])
        #expect(info.contains("step = 300") && info.contains("ds[ping20].type") && info.contains("ds[loss].max = 2.0000000000e+01"))
        let stats = try lab.stats()
        let last = try #require(try await SmokePingTree.rrdtool(["lastupdate", file]).split(separator: "\n").last)
        let values = last.split(separator: " ").dropFirst().map(String.init)
        try #require(values.count == 23, "\(last)")
        // uptime, loss, median, ping1…ping20: the loss count, the median in seconds.
        #expect(Double(values[1]) == Double(stats.dropped))
        let median = try #require(Double(values[2]))
        #expect(Self.isLabDelay(median * 1000), "median \(median) s")
    }

    /// `smokeflow run FILE --once` as an unprivileged user (nobody), in `namespace` if given.
    func runAsNobody(_ pipeline: String, namespace: String? = nil) async throws -> String {
        let path = "/tmp/probes-pipeline-\(UUID().uuidString).yaml"
        try pipeline.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o644)
        defer { unlink(path) }
        let command = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                       packageRoot() + "/.build/debug/smokeflow", "run", path, "--once", "--log-level", "error"]
        if let namespace { return try await ProbeLab.runOnThread("/usr/sbin/ip", ["netns", "exec", namespace] + command) }
        return try await ProbeLab.runOnThread(command[0], Array(command.dropFirst()))
    }

    @Test func withoutPermissionOneLineSaysWhatToGrant() async throws {
        let output = try await runAsNobody("""
            sources:
              ping: { type: probe, pings: 1, targets: [{ name: lo, host: 127.0.0.1 }] }
            sinks:
              out: { type: stdout, inputs: [ping] }
            """)
        #expect(output.contains("source 'ping': cannot open an ICMP socket: not permitted"), "\(output)")
        #expect(output.contains("CAP_NET_RAW") && output.contains("net.ipv4.ping_group_range"))
    }

    @Test func icmpDatagramSocketsWhenPingGroupRangeAllows() async throws {
        let lab = try await ProbeLab(delayMilliseconds: 20)
        defer { lab.down() }
        _ = try await ProbeLab.runOnThread("/usr/sbin/ip", ["netns", "exec", lab.namespace, "sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647"], allowFailure: false)
        // Inside the namespace the responder also answers its loopback.
        let output = try await runAsNobody("""
            sources:
              ping: { type: probe, pings: 5, interval: 20ms, targets: [{ name: lo, host: 127.0.0.1 }] }
            sinks:
              out: { type: stdout, inputs: [ping] }
            """, namespace: lab.namespace)
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("latency,") }, "\(output)")
        let median = try #require(line.split(whereSeparator: { $0 == "," || $0 == " " }).first { $0.hasPrefix("median=") }.flatMap { Double($0.dropFirst(7)) })
        #expect(Self.isLabDelay(median) && line.contains("loss=0"), "\(line)")
        #expect(try lab.stats().received == 5)
    }

    @Test func targetsFileChangesTakeEffectAtTheNextRoundWithoutARestart() async throws {
        let directory = temporaryDirectory()
        let targets = directory + "/targets.yaml"
        try "- { name: first, host: 127.0.0.1 }\n".write(toFile: targets, atomically: true, encoding: .utf8)
        let pipeline = directory + "/probe.yaml"
        try """
            sources:
              ping: { type: probe, pings: 2, interval: 100ms, timeout: 500ms, step: 2s, targets_file: \(targets) }
            sinks:
              out: { type: stdout, inputs: [ping] }
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let output = directory + "/out"
        let pid = try ProbeLab.start(packageRoot() + "/.build/debug/smokeflow", ["run", pipeline, "--log-level", "error"], output: output)
        func seen() -> String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
        func wait(for text: String) async -> Bool {
            await eventually(within: .seconds(60), every: .milliseconds(50)) { seen().contains(text) }
        }
        #expect(await wait(for: "target=first"))
        try "- { name: second, host: 127.0.0.1 }\n- { name: third, host: localhost }\n".write(toFile: targets, atomically: true, encoding: .utf8)
        #expect(await wait(for: "target=second"))
        // A list that no longer checks is reported and the last good one stays in use.
        try "- { name: broken, host: 300.0.0.1 }\n".write(toFile: targets, atomically: true, encoding: .utf8)
        // Wait for the next round after the change (step 2 s), however loaded the machine.
        let secondRounds = seen().components(separatedBy: "target=second").count
        _ = await eventually(within: .seconds(60), every: .milliseconds(50)) {
            seen().components(separatedBy: "target=second").count > secondRounds
        }
        let status = await ProbeLab.finish(pid)
        let lines = seen().split(separator: "\n")
        #expect(status == 0, "\(lines)")
        let firstChange = try #require(lines.firstIndex { $0.contains("target=second") })
        #expect(!lines[firstChange...].contains { $0.contains("target=first") || $0.contains("target=broken") })
        #expect(lines.filter { $0.contains("target=second") }.count >= 2 && lines.contains { $0.contains("target=third") && $0.contains("loss=0") })
        #expect(lines.contains { $0.contains("host is not a valid IPv4 address") && $0.contains(targets) }, "\(lines)")
    }
}
