import Alerting
import Foundation
import LineProtocol
import PipelineConfig
@testable import Components
import EventModel
import PipelineRuntime
import SmokeflowTesting
import Testing

/// The `alert` transform in a pipeline: points pass unchanged, edges reach an exec notifier
/// (a shell that appends its stdin to a file: the notifier itself runs no shell), the state
/// survives a restart without re-sending, undelivered notifications wait in the saved outbox.
@Suite struct AlertTransformTests {
    /// Rounds of one target, 5 pings each; `lost[i]` pings lost in round i (1 s apart).
    static func rounds(_ lost: [Int], path: String = "Core/router-1", from first: Int = 0) -> [Point] {
        lost.enumerated().map { index, lost in
            var fields: [Point.Field] = [.init("loss", .float(Double(lost * 20))), .init("lost", .float(Double(lost))), .init("pings", .int(5))]
            if lost < 5 { fields.insert(.init("median", .float(12.5)), at: 0) }
            return Point(
                measurement: "latency",
                tags: [.init("target", String(path.split(separator: "/").last ?? "")), .init("path", path), .init("category", "Core"), .init("probe_type", "fping")],
                fields: fields, timestamp: Int64(first + index + 1) * 1_000_000_000)
        }
    }

    static let lossSequence = Array(repeating: 0, count: 5) + Array(repeating: 5, count: 4) + Array(repeating: 0, count: 6) + Array(repeating: 5, count: 3)
        + Array(repeating: 0, count: 6) + Array(repeating: 2, count: 3) + Array(repeating: 0, count: 5)

    func pipeline(state: String, key: String, probe: String, command: String, extra: String = "retry_backoff: 10ms") -> String {
        """
        state_dir: \(state)
        sources:
          in: { type: memory, key: \(key), probe: \(probe), batch_size: 4 }
        transforms:
          alerts:
            type: alert
            inputs: [in]
            rules:
              threeinarow: { type: loss, pattern: ">0%,>0%,>0%", edgetrigger: true, comment: "loss 3 rounds in a row" }
              someloss: { type: loss, pattern: ">0%,*12*,>0%,*12*,>0%", edgetrigger: yes }
              down: { type: rtt, pattern: "==U,==U", edgetrigger: true }
            targets: { "Core/*": [threeinarow, someloss], "Core": [down] }
            notify:
              - { type: exec, name: log, command: \(command) }
            \(extra)
        sinks:
          out: { type: collect, inputs: [alerts], probe: \(probe) }
        """
    }

    /// `/bin/sh -c 'cat >> FILE; echo >> FILE'`, with `{rule}` and `{state}` as arguments.
    func appending(to file: String, exitCode: Int = 0) -> String {
        "[\"/bin/sh\", \"-c\", \"cat >> \(file); echo \\\" $0 $1\\\" >> \(file); exit \(exitCode)\", \"{rule}\", \"{state}\"]"
    }

    /// Each line the command appended: the JSON it read, then " RULE STATE" from its arguments.
    static func notifications(in file: String) throws -> [[String: Any]] {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { line in
            let end = try #require(line.lastIndex(of: "}"), "\(line)")
            var note = try #require(try JSONSerialization.jsonObject(with: Data(line[...end].utf8)) as? [String: Any], "\(line)")
            note["arguments"] = String(line[line.index(after: end)...])
            return note
        }
    }

    /// (rule, state, round number from 1) of each notification, in the order delivered.
    static func edges(_ notifications: [[String: Any]]) -> [String] {
        notifications.map { note in
            let time = (note["time"] as? String) ?? ""
            // Round i is at i seconds past the epoch.
            let second = Int(time.dropFirst(17).prefix(2)).map { $0 + 60 * (Int(time.dropFirst(14).prefix(2)) ?? 0) } ?? -1
            return "\(second): \(note["rule"] ?? "?") \(note["state"] ?? "?")"
        }
    }

    static let expected = [
        "7: down raised", "8: threeinarow raised", "8: someloss raised", "10: threeinarow cleared", "10: someloss cleared", "10: down cleared",
        "16: someloss raised", "17: down raised", "18: threeinarow raised", "19: threeinarow cleared", "19: someloss cleared",
        "19: down cleared", "25: someloss raised", "27: threeinarow raised", "28: threeinarow cleared", "28: someloss cleared",
    ]

    @Test func edgesOfEveryEpisodeAreNotifiedOnceAndPointsPassUnchanged() async throws {
        let state = temporaryDirectory()
        let log = state + "/notifications"
        let points = Self.rounds(Self.lossSequence)
        let (probeKey, probe) = Observer.make()
        let report = try await runPipeline(pipeline(state: state, key: TestData.register(points), probe: probeKey, command: appending(to: log)))
        #expect(report.succeeded, "\(report.failures)")
        #expect(probe.received.withLock { $0 } == points)
        #expect(probe.statuses.withLock { $0 }.allSatisfy { $0 == .delivered })
        let notes = try Self.notifications(in: log)
        // SmokePing's own check_alerts on these rounds (perl, Smokeping.pm) reports exactly these.
        #expect(Self.edges(notes) .sorted() == Self.expected.sorted(), "\(Self.edges(notes))")
        let first = try #require(notes.first { $0["rule"] as? String == "threeinarow" })
        #expect(first["target"] as? String == "router-1" && first["path"] as? String == "Core/router-1" && first["category"] as? String == "Core")
        #expect(first["pattern"] as? String == ">0%,>0%,>0%" && first["comment"] as? String == "loss 3 rounds in a row")
        #expect(first["value"] as? Double == 100 && first["site"] is NSNull && first["title"] is NSNull)
        #expect(first["time"] as? String == "1970-01-01T00:00:08.000Z")
        #expect(first["arguments"] as? String == " threeinarow raised")
    }

    /// The store's `alerts` column (as the join's tag) picks rules from a `rules_file` that
    /// `targets import --alert-rules` wrote from SmokePing's Alerts section; no glob needed,
    /// a name no rule has is left out, and the tag never reaches the sink.
    @Test func theAlertsTagPicksRulesOfARulesFileAndIsTakenOffThePoints() async throws {
        let state = temporaryDirectory()
        let log = state + "/notifications"
        let rulesFile = state + "/alert-rules.yaml"
        try """
            edgetrigger: true
            rules:
              "someloss": { type: loss, pattern: ">0%,*12*,>0%,*12*,>0%", comment: "loss 3 times in a row" }
              "threeinarow": { type: loss, pattern: ">0%,>0%,>0%" }
            """.write(toFile: rulesFile, atomically: true, encoding: .utf8)
        let plain = Self.rounds(Self.lossSequence, path: "Lab/box-1")
        let tagged = plain.map { point in
            var point = point
            point.setTag("alerts", "someloss,nosuch")
            return point
        }
        let (probeKey, probe) = Observer.make()
        let text = """
            state_dir: \(state)
            sources:
              in: { type: memory, key: \(TestData.register(tagged)), probe: \(probeKey), batch_size: 4 }
            transforms:
              alerts:
                type: alert
                inputs: [in]
                rules_file: \(rulesFile)
                notify:
                  - { type: exec, name: log, command: \(appending(to: log)) }
                retry_backoff: 10ms
            sinks:
              out: { type: collect, inputs: [alerts], probe: \(probeKey) }
            """
        let report = try await runPipeline(text)
        #expect(report.succeeded, "\(report.failures)")
        #expect(probe.received.withLock { $0 } == plain)
        let edges = Self.edges(try Self.notifications(in: log))
        #expect(edges.sorted() == Self.expected.filter { $0.hasSuffix("someloss raised") || $0.hasSuffix("someloss cleared") }.sorted(), "\(edges)")
    }

    @Test func aRulesFileNamedTwiceOrUnreadableIsAnErrorAtItsPlace() throws {
        let rulesFile = temporaryDirectory() + "/rules.yaml"
        try "rules:\n  lossy: { type: loss, pattern: \">5\" }\n".write(toFile: rulesFile, atomically: true, encoding: .utf8)
        func problems(_ options: String) throws -> [String] {
            let text = """
                sources:
                  in: { type: fixture, path: x.lp.zst }
                transforms:
                  a: { type: alert, inputs: [in], \(options) }
                sinks:
                  out: { type: stdout, inputs: [a] }
                """
            let definition = try PipelineLoader(environment: [:]).load(text: text, file: "a.yaml")
            do {
                _ = try ComponentRegistry.builtin.plan(definition)
                return []
            } catch {
                return error.errors.map(\.description)
            }
        }
        // The rules file's own line and column.
        #expect(try problems("rules_file: \(rulesFile)").contains("\(rulesFile):2:33: 'a': rule 'lossy': loss should be specified in % (pattern entry '>5')"))
        #expect(try problems("rules_file: /nonexistent/rules.yaml").contains { $0.hasPrefix("a.yaml:4:") && $0.hasSuffix("cannot read rules_file /nonexistent/rules.yaml") })
        #expect(try problems("targets: {}").contains { $0.hasSuffix("needs 'rules' (name: { type, pattern, … }) or a 'rules_file'") })
    }

    @Test func aRestartReplayingRoundsSendsNothingTwiceAndLosesNothing() async throws {
        let state = temporaryDirectory()
        let log = state + "/notifications"
        let points = Self.rounds(Self.lossSequence)
        let (probeKey, _) = Observer.make()
        // First run: rounds 1–17 (mid-episode), second: all rounds again from the start.
        let firstRun = try await runPipeline(pipeline(state: state, key: TestData.register(Array(points.prefix(17))), probe: probeKey, command: appending(to: log)))
        #expect(firstRun.succeeded, "\(firstRun.failures)")
        #expect(Self.edges(try Self.notifications(in: log)).count == 8)
        let secondRun = try await runPipeline(pipeline(state: state, key: TestData.register(points), probe: probeKey, command: appending(to: log)))
        #expect(secondRun.succeeded, "\(secondRun.failures)")
        #expect(Self.edges(try Self.notifications(in: log)).sorted() == Self.expected.sorted())
    }

    @Test func undeliveredNotificationsWaitInTheSavedOutboxForTheNextStart() async throws {
        let state = temporaryDirectory()
        let log = state + "/notifications"
        let points = Self.rounds(Self.lossSequence)
        let (probeKey, _) = Observer.make()
        // The command fails every time and the run ends before the retries do.
        let failing = pipeline(
            state: state, key: TestData.register(points), probe: probeKey, command: appending(to: state + "/failed", exitCode: 1),
            extra: "retry_attempts: 1000\n    retry_backoff: 1h\n    drain_timeout: 0s")
        let firstRun = try await runPipeline(failing)
        #expect(firstRun.succeeded, "\(firstRun.failures)")
        #expect(!FileManager.default.fileExists(atPath: log))
        // Restarted with no new rounds and a command that works: everything is delivered once.
        let working = pipeline(state: state, key: TestData.register([]), probe: probeKey, command: appending(to: log))
        let secondRun = try await runPipeline(working)
        #expect(secondRun.succeeded, "\(secondRun.failures)")
        #expect(Self.edges(try Self.notifications(in: log)).sorted() == Self.expected.sorted())
    }

    @Test func withoutEdgetriggerEveryMatchingRoundIsNotifiedAndPrioritiesSuppress() async throws {
        let state = temporaryDirectory()
        let log = state + "/notifications"
        let (probeKey, _) = Observer.make()
        let yaml = """
            state_dir: \(state)
            sources:
              in: { type: memory, key: \(TestData.register(Self.rounds([0, 5, 5, 0]))), probe: \(probeKey) }
            transforms:
              alerts:
                type: alert
                inputs: [in]
                rules:
                  anyloss: { type: loss, pattern: ">0%" }
                  first: { type: loss, pattern: ">0%", priority: 1 }
                  second: { type: loss, pattern: ">0%", priority: 2 }
                targets: { "**": [second, first, anyloss] }
                notify: [{ type: exec, command: \(appending(to: log)) }]
            sinks:
              out: { type: collect, inputs: [alerts], probe: \(probeKey) }
            """
        let report = try await runPipeline(yaml)
        #expect(report.succeeded, "\(report.failures)")
        // Rounds 2 and 3 match: each sends for the rule without a priority and the first by priority.
        #expect(Self.edges(try Self.notifications(in: log)).sorted() == ["2: anyloss raised", "2: first raised", "3: anyloss raised", "3: first raised"])
    }

    @Test func badRulesAreReportedWithTheirPosition() throws {
        let text = """
            sources:
              in: { type: fixture, path: x.lp.zst }
            transforms:
              a:
                type: alert
                inputs: [in]
                rules:
                  lossy: { type: loss, pattern: ">5" }
                  slow: { type: rtt, pattern: "<10,*0*,>100", colour: red }
                targets: { "Core/*": [lossy, missing] }
                notify:
                  - { type: webhook, url: "ftp://example.invalid/x" }
                  - { type: exec, command: ["page", "{nothing}"] }
            sinks:
              out: { type: stdout, inputs: [a] }
            """
        let definition = try PipelineLoader(environment: [:]).load(text: text, file: "a.yaml")
        do {
            _ = try ComponentRegistry.builtin.plan(definition)
            Issue.record("the plan succeeded")
        } catch {
            let lines = error.errors.map(\.description)
            #expect(lines.contains("a.yaml:8:37: 'a': rule 'lossy': loss should be specified in % (pattern entry '>5')"), "\(lines)")
            #expect(lines.contains { $0.hasPrefix("a.yaml:9:35: 'a': rule 'slow': multi-match operator *") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("a.yaml:9:51: unknown rule key 'colour'") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("a.yaml:10:26: 'a': targets 'Core/*' names rule 'missing'") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("a.yaml:12:9: 'a': notifier 'webhook-1': url must start with http") }, "\(lines)")
            #expect(lines.contains { $0.contains("the program is an absolute path") }, "\(lines)")
            #expect(lines.contains { $0.contains("unknown placeholder {nothing}") }, "\(lines)")
        }
    }

    @Test func aFailingWebhookNamesNeitherItsURLNorItsHeadersInErrorsOrLogs() async throws {
        // Port 9 on loopback: refused at once.
        let notifier = WebhookNotifier(
            name: "hook", url: Secret("http://127.0.0.1:9/hooks/T0KEN-in-path"), headers: [("Authorization", Secret("Bearer s3cret"))],
            timeout: .seconds(2))
        let log = LogCapture()
        let counters = AlertCounters()
        let book = AlertBook(
            rules: [], targets: [], notifiers: ["hook"], queueSize: 10, storage: nil, documentName: "alert-test", counters: counters, logger: log.logger)
        var outbox = AlertOutbox()
        _ = outbox.enqueue(AlertStateTests.notification(), for: "hook", capacity: 10)
        let entry = try #require(outbox.deliverable(for: "hook", savedBefore: 1))
        let delivery = AlertDelivery(
            book: book, notifier: notifier, retry: RetryPolicy(attempts: 2, initialBackoff: .milliseconds(1), maximumBackoff: .milliseconds(1)),
            counters: counters, logger: log.logger)
        await delivery.deliver(entry)
        #expect(counters.snapshot.failed == 1 && counters.snapshot.retries == 1 && counters.snapshot.sent == 0)
        let lines = log.lines.withLock { $0.map(\.message) }
        #expect(lines.count == 2, "\(lines)")
        #expect(lines.allSatisfy { !$0.contains("T0KEN") && !$0.contains("s3cret") && $0.contains("notifier 'hook'") }, "\(lines)")
    }

    @Test func retriesBackOffExponentiallyUpToTheMaximum() {
        let retry = RetryPolicy(attempts: 10, initialBackoff: .seconds(1), maximumBackoff: .seconds(5))
        #expect((1...5).map(retry.backoff(after:)) == [.seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5)])
    }

    @Test func aFullQueueDropsNewNotificationsAndCountsThem() throws {
        let node = try YAMLLoader(environment: [:]).load(text: """
            rules: { lossy: { type: loss, pattern: ">0%", edgetrigger: true } }
            targets: { "**": [lossy] }
            notify: [{ type: exec, command: ["/bin/true"] }]
            queue_size: 2
            """, file: "alert.yaml")
        var options = OptionsReader(componentID: "alerts", location: node.location, pairs: node.mapping ?? [])
        let configuration = AlertConfiguration(options: &options)
        try options.finish()
        let alert = try configuration.build(BuildContext(id: "alerts", logger: LogCapture().logger))
        // Nothing delivers (the transform does not run): 6 edges, 2 queued, 4 dropped.
        alert.evaluate(Batch(points: Self.rounds([0, 5, 0, 5, 0, 5, 0])))
        let counters = alert.counters.snapshot
        #expect(counters.raised == 3 && counters.cleared == 3)
        #expect(counters.queued == 2 && counters.overflow == 4 && counters.sent == 0)
    }

    @Test func anExecCommandPastItsTimeoutIsKilledAndFailsWithoutAShell() async throws {
        let notifier = ExecNotifier(name: "slow", command: ["/bin/sleep", "30"], timeout: .milliseconds(200))
        await #expect(throws: NotificationFailure.self) { try await notifier.deliver(AlertStateTests.notification()) }
        // Arguments are substituted, never given to a shell: `;` and `$(…)` stay text.
        let directory = temporaryDirectory()
        let quoted = ExecNotifier(
            name: "echo", command: ["/bin/sh", "-c", "printf '%s' \"$0\" > \(directory)/argument", "{rule}; $(touch \(directory)/ran)"],
            timeout: .seconds(10))
        try await quoted.deliver(AlertStateTests.notification("r"))
        #expect(try String(contentsOfFile: directory + "/argument", encoding: .utf8) == "r; $(touch \(directory)/ran)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/ran"))
    }
}
