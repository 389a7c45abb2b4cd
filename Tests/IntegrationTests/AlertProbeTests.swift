import EventModel
import Foundation
import SmokeflowTesting
import Testing

/// The `alert` transform against namespace hosts whose responder switches loss on and off by
/// request count (probe-lab.sh `--loss-schedule`: with 5 pings a round, the rounds' losses are
/// fixed whatever the timing; a 1.5 s ping timeout keeps a loaded machine's late answers in),
/// probed at a 2 s step: each episode's `raised` and `cleared`
/// reach a local webhook once, at the rounds the patterns start and stop matching. The real
/// SmokePing daemon (Debian's 2.7.3, FPing, step 2 s, `to = |script`) probes a second host with
/// the same schedule and raises and clears on the same rounds. Needs root.
@Suite(.serialized, .timeLimit(.minutes(8)), .enabled(if: ProbeLab.enabled))
struct AlertProbeTests {
    static let pings = 5
    /// Rounds 1–5 answered, 6–9 lost, 10–15 answered, 16–18 lost, 19–24 answered, 25–27 two
    /// of five lost (40 %), then answered.
    static let schedule = "25:0,20:1,30:0,15:1,30:0,3:0,2:1,3:0,2:1,3:0,2:1,25:0"
    static let roundLosses: [Double] = Array(repeating: 0, count: 5) + Array(repeating: 100, count: 4) + Array(repeating: 0, count: 6)
        + Array(repeating: 100, count: 3) + Array(repeating: 0, count: 6) + Array(repeating: 40, count: 3) + Array(repeating: 0, count: 5)

    /// As SmokePing's own check_alerts finds them on these rounds (round number from 1).
    static let expected = [
        "7 down raised", "8 someloss raised", "8 threeinarow raised", "10 down cleared", "10 someloss cleared", "10 threeinarow cleared",
        "16 someloss raised", "17 down raised", "18 threeinarow raised", "19 down cleared", "19 someloss cleared", "19 threeinarow cleared",
        "25 someloss raised", "27 threeinarow raised", "28 someloss cleared", "28 threeinarow cleared",
    ]

    static let rules = [
        ("threeinarow", "loss", ">0%,>0%,>0%"), ("someloss", "loss", ">0%,*12*,>0%,*12*,>0%"), ("down", "rtt", "==U,==U"),
    ]

    @Test func episodesRaiseAndClearOnceAtTheRoundsSmokePingRaisesAndClearsToo() async throws {
        let ours = try await ProbeLab(lossSchedule: Self.schedule)
        defer { ours.down() }
        let theirs = try await ProbeLab(lossSchedule: Self.schedule)
        defer { theirs.down() }
        // SmokePing runs beside smokeflow from the start (when installed; required with SMOKEFLOW_REQUIRE_SERVERS=1).
        if Servers.required { try SmokePingInstallation.requireInstalled() }
        let smokePing = SmokePingInstallation.installed ? try SmokePingAlerts(lab: theirs, rules: Self.rules) : nil
        defer { if let daemon = smokePing?.daemon.process, daemon.isRunning { daemon.terminate() } }

        // The first request fails (503): it is retried, and still arrives once.
        // A proxy that forwards nothing: a local webhook that records what it gets.
        let receiver = FaultProxy(upstream: "http://127.0.0.1:9", faults: [.status(503, retryAfter: nil)], afterwards: .answer(200))
        try await receiver.start()
        let state = temporaryDirectory()
        let (probeKey, probe) = Observer.make()
        let rules = Self.rules.map { "      \($0.0): { type: \($0.1), pattern: \"\($0.2)\", edgetrigger: true }" }.joined(separator: "\n")
        let yaml = """
            state_dir: \(state)
            sources:
              round:
                type: probe
                pings: \(Self.pings)
                interval: 20ms
                timeout: 1500ms
                step: 2s
                spread: false
                targets: [{ name: lab, host: \(ours.v4), path: Core/lab, category: Core }]
            transforms:
              alerts:
                type: alert
                inputs: [round]
                rules:
            \(rules)
                targets: { "Core/*": [threeinarow, someloss], "Core": [down] }
                notify:
                  - { type: webhook, url: "${HOOK}", headers: { Authorization: "Bearer ${TOKEN}" } }
                retry_backoff: 100ms
            sinks:
              seen: { type: collect, inputs: [alerts], probe: \(probeKey) }
            """
        let run = Task {
            try await runPipeline(yaml, environment: ["HOOK": receiver.url + "/alerts", "TOKEN": "s3cret"]) { $0.once = false }
        }
        let rounds = Self.roundLosses.count
        let enough = await eventually(within: .seconds(240), every: .milliseconds(200)) {
            probe.received.withLock { $0.count } >= rounds && receiver.requests.withLock { $0.count } >= Self.expected.count + 1
        }
        run.cancel()
        let report = try await run.value
        await receiver.stop()
        #expect(enough, "\(probe.received.withLock { $0.count }) rounds, \(receiver.requests.withLock { $0.count }) requests")
        #expect(report.succeeded, "\(report.failures)")

        // The rounds are the schedule's.
        let points = probe.received.withLock { $0 }.sorted { $0.timestamp < $1.timestamp }
        let losses = points.prefix(rounds).map { point -> Double in
            if case .float(let loss)? = point.field("loss") { return loss }
            return -1
        }
        #expect(losses == Self.roundLosses)
        let roundOfMillisecond = Dictionary(points.enumerated().map { (AlertNotificationTime.milliseconds($0.element.timestamp), $0.offset + 1) }) { first, _ in first }

        let requests = receiver.requests.withLock { $0 }
        #expect(requests.allSatisfy { $0.headers["authorization"] == "Bearer s3cret" && $0.headers["content-type"] == "application/json" })
        // Request 1 was answered 503 and sent again: the deliveries are every request after it.
        let delivered = requests.dropFirst().map(\.json)
        #expect(requests.first?.json["time"] == delivered.first?["time"] && requests.first?.json["rule"] == delivered.first?["rule"])
        let found = delivered.map { json in
            let round = AlertNotificationTime.parse(json["time"] ?? "").flatMap { roundOfMillisecond[$0] } ?? -1
            return "\(round) \(json["rule"] ?? "?") \(json["state"] ?? "?")"
        }
        #expect(found.sorted() == Self.expected.sorted(), "\(found)")
        #expect(delivered.allSatisfy { $0["target"] == "lab" && $0["path"] == "Core/lab" && $0["category"] == "Core" })

        // SmokePing on the same schedule: the same rounds, raised and cleared on the same rounds.
        if let smokePing {
            let reported = try await smokePing.edges(expected: Self.expected.count, schedule: Self.roundLosses)
            await smokePing.stop()
            #expect(reported.edges.sorted() == Self.expected.sorted(), "SmokePing: \(reported.edges)\n\(smokePing.log)")
            // SmokePing's own view of the rounds (the loss history its last alert carried) is ours.
            let (start, end) = (reported.lastRound - reported.lossHistory.count, reported.lastRound)
            if start >= 0, end <= Self.roundLosses.count {
                #expect(reported.lossHistory == Array(Self.roundLosses[start..<end]), "\(reported.lossHistory)")
            } else {
                Issue.record("SmokePing's last alert: round \(end), \(reported.lossHistory.count) rounds of history")
            }
        }
    }
}

/// Milliseconds of a round's time, as the notification's `time` spells it.
enum AlertNotificationTime {
    static func milliseconds(_ nanoseconds: Int64) -> Int64 { nanoseconds / 1_000_000 }

    /// `2026-12-02T15:04:05.123Z` → milliseconds since the epoch.
    static func parse(_ text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
    }
}
