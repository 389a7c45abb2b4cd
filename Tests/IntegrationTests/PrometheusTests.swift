import Foundation
import SmokeflowTesting
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// smokeflow's metrics as the real Prometheus (Debian's 2.42) sees them: a running pipeline
/// scraped, a counter that grows, `promtool check metrics` on the text; and the shipped
/// alerting rules checked and unit-tested with promtool.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct PrometheusTests {
    static let promtool = "/usr/bin/promtool"
    static var installed: Bool { FileManager.default.isExecutableFile(atPath: promtool) }

    @Test(.enabled(if: installed || Servers.required))
    func theShippedAlertingRulesPassPromtoolsCheckAndTheirUnitTests() async throws {
        try #require(Self.installed, "promtool is not installed (Debian's prometheus package; scripts/test installs it)")
        let rules = packageRoot() + "/docker/prometheus"
        let check = try await runProgram(Self.promtool, ["check", "rules", rules + "/smokeflow-rules.yml"], mergingErrors: true)
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("SUCCESS: 7 rules found"), "\(check.output)")
        let test = try await runProgram(Self.promtool, ["test", "rules", rules + "/smokeflow-rules.test.yml"], mergingErrors: true)
        #expect(test.status == 0, "\(test.output)")
        #expect(test.output.contains("SUCCESS"), "\(test.output)")
    }

    @Test(.enabled(if: (installed && ProbeLab.enabled) || Servers.required))
    func prometheusScrapesARunningPipelineAndItsCountersGrow() async throws {
        try #require(Self.installed, "prometheus is not installed (Debian's prometheus package; scripts/test installs it)")
        let directory = temporaryDirectory()
        let metricsPort = Servers.freePort()
        let pipeline = directory + "/probe.yaml"
        try """
            metrics: { address: 127.0.0.1:\(metricsPort) }
            state_dir: \(directory)/state
            sources:
              ping: { type: probe, pings: 3, interval: 50ms, timeout: 500ms, step: 1s, targets: [{ name: loopback, host: 127.0.0.1 }] }
            sinks:
              out: { type: file, path: \(directory)/out.lp, inputs: [ping] }
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let smokeflow = try ProbeLab.start(
            packageRoot() + "/.build/debug/smokeflow", ["run", pipeline, "--log-level", "error"], output: directory + "/smokeflow.log")
        var smokeflowEnded = false
        defer { if !smokeflowEnded { kill(smokeflow, SIGKILL) } }

        let prometheusPort = Servers.freePort()
        let server = try ProbeLab.start(
            PrometheusServer.executable, try PrometheusServer.arguments(scraping: metricsPort, port: prometheusPort, in: directory),
            output: directory + "/prometheus.log")
        var serverEnded = false
        defer { if !serverEnded { kill(server, SIGKILL) } }
        let api = "http://127.0.0.1:\(prometheusPort)/api/v1/query?query="

        func value(_ query: String) async -> Double? {
            guard let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics),
                let (status, body) = try? await Servers.get(api + encoded), status == 200,
                let json = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
                let data = json["data"] as? [String: Any], let result = data["result"] as? [[String: Any]],
                let sample = result.first?["value"] as? [Any], let text = sample.last as? String
            else { return nil }
            return Double(text)
        }
        let rounds = #"smokeflow_probe_rounds_finished_total{component_id="ping"}"#
        var first: Double?
        let scraped = await eventually(within: .seconds(90), every: .milliseconds(500)) {
            first = await value(rounds)
            return first != nil
        }
        let log = (try? String(contentsOfFile: directory + "/prometheus.log", encoding: .utf8)) ?? ""
        #expect(scraped, "Prometheus never had \(rounds); its log: \(log.suffix(2000))")
        let start = try #require(first)
        #expect(await eventually(within: .seconds(60), every: .milliseconds(500)) { (await value(rounds) ?? 0) >= start + 2 })
        #expect(await value(#"up{job="smokeflow"}"#) == 1)
        let written = #"smokeflow_component_sent_events_total{component_id="out",component_type="file"}"#
        #expect(await eventually(within: .seconds(60), every: .milliseconds(500)) { (await value(written) ?? 0) > 0 })

        // The text itself: promtool finds nothing to lint (names, HELP, TYPE, units).
        let (status, text) = try await Servers.get("http://127.0.0.1:\(metricsPort)/metrics")
        #expect(status == 200)
        try text.write(toFile: directory + "/scraped.txt", atomically: true, encoding: .utf8)
        let lint = try await runProgram("/bin/sh", ["-c", "\(Self.promtool) check metrics < \(directory)/scraped.txt"], mergingErrors: true)
        #expect(lint.status == 0 && lint.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool check metrics: \(lint.output)")
        for family in ["smokeflow_probe_send_jitter_seconds_bucket", "smokeflow_probe_targets", "process_resident_memory_bytes", "smokeflow_build_info"] {
            #expect(text.contains(family), "\(family) missing from /metrics")
        }

        let (healthStatus, health) = try await Servers.get("http://127.0.0.1:\(metricsPort)/health")
        #expect(healthStatus == 200 && health.contains(#""status":"ok""#), "\(health)")
        let (readyStatus, ready) = try await Servers.get("http://127.0.0.1:\(metricsPort)/ready")
        #expect(readyStatus == 200 && ready.contains(#""status":"ready""#), "\(ready)")
        #expect(await ProbeLab.finish(smokeflow) == 0)
        smokeflowEnded = true
        _ = await ProbeLab.finish(server)
        serverEnded = true
    }
}

/// `/ready` of a running pipeline whose sink cannot write: 503 naming the sink once its
/// failures outlast `sink_failure_budget`, while `/health` stays 200.
@Suite(.timeLimit(.minutes(2)))
struct PipelineReadinessTests {
    @Test(.enabled(if: ProbeLab.enabled))
    func aSinkFailingPastItsBudgetMakesTheRunNotReady() async throws {
        let directory = temporaryDirectory()
        let metricsPort = Servers.freePort()
        let pipeline = directory + "/probe.yaml"
        try """
            shutdown_timeout: 2s
            metrics: { address: 127.0.0.1:\(metricsPort), sink_failure_budget: 1s }
            sources:
              ping: { type: probe, pings: 2, interval: 50ms, timeout: 500ms, step: 1s, targets: [{ name: loopback, host: 127.0.0.1 }] }
            sinks:
              influx: { type: influx, inputs: [ping], url: "http://127.0.0.1:\(Servers.freePort())", database: nowhere, username: u, password: secret-in-ready }
            """.write(toFile: pipeline, atomically: true, encoding: .utf8)
        let pid = try ProbeLab.start(packageRoot() + "/.build/debug/smokeflow", ["run", pipeline, "--log-level", "error"], output: directory + "/log")
        var ended = false
        defer { if !ended { kill(pid, SIGKILL) } }
        var answer = ""
        let notReady = await eventually(within: .seconds(60), every: .milliseconds(200)) {
            guard let (status, body) = try? await Servers.get("http://127.0.0.1:\(metricsPort)/ready") else { return false }
            answer = body
            return status == 503
        }
        #expect(notReady, "\(answer)")
        #expect(answer.contains(#""component":"influx""#) && answer.contains("writes failing for"), "\(answer)")
        #expect(!answer.contains("secret-in-ready"))
        #expect(try await Servers.get("http://127.0.0.1:\(metricsPort)/health").status == 200)
        _ = await ProbeLab.finish(pid)
        ended = true
    }
}
