import EventModel
import Foundation
import PipelineConfig
import PipelineRuntime
import SmokeflowTesting
import Telemetry
import Synchronization
import Testing

/// The metric catalogue, the per-run registry, the runtime's counts and readiness.
@Suite struct MetricsTests {
    @Test func everyNameFollowsPrometheusConventions() {
        var seen: Set<String> = []
        for family in MetricFamily.catalog {
            #expect(seen.insert(family.name).inserted, "\(family.name) declared twice")
            #expect(family.name.hasPrefix("smokeflow_") || family.name.hasPrefix("process_"), "\(family.name)")
            #expect(family.name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "\(family.name)")
            switch family.kind {
            case .counter: #expect(family.name.hasSuffix("_total"), "a counter ends in _total: \(family.name)")
            case .gauge: #expect(!family.name.hasSuffix("_total"), "only counters end in _total: \(family.name)")
            case .histogram: #expect(family.name.hasSuffix("_seconds"), "histograms here are durations: \(family.name)")
            }
            #expect(!family.help.isEmpty && !family.help.contains("\n"), "\(family.name)")
            for label in family.labels { #expect(!label.hasPrefix("component_"), "\(family.name): \(label) is the component's own") }
        }
    }

    /// docs/metrics.md is the catalogue's reference: the same names, types and labels.
    @Test func theDocumentationListsExactlyTheCatalogue() throws {
        let text = try String(contentsOfFile: packageRoot() + "/docs/metrics.md", encoding: .utf8)
        var documented: [String: (type: String, labels: String)] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count > 4 else { continue }
            documented[cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = (cells[2], cells[3])
        }
        for family in MetricFamily.catalog {
            let entry = try #require(documented[family.name], "docs/metrics.md does not list \(family.name)")
            #expect(entry.type == family.typeName, "\(family.name): documented as \(entry.type)")
            let labels = family.labels.map { "`\($0)`" }.joined(separator: ", ")
            #expect(entry.labels.hasSuffix(labels.isEmpty ? entry.labels : labels), "\(family.name): labels \(entry.labels)")
        }
        let unknown = Set(documented.keys).subtracting(MetricFamily.catalog.map(\.name))
        #expect(unknown.isEmpty, "documented but not exposed: \(unknown.sorted())")
    }

    @Test func aPipelineCountsEachStageInItsOwnRegistry() async throws {
        let key = TestData.register((0..<250).map { Point(measurement: "m", tags: [.init("target", "t\($0 % 5)")], fields: [.init("v", .float(1))], timestamp: Int64($0)) })
        let registry = MetricsRegistry()
        let report = try await runPipeline("""
            sources:
              in: { type: memory, key: \(key), batch_size: 50 }
            sinks:
              out: { type: file, path: \(temporaryDirectory())/out.lp, inputs: [in] }
            """) { $0.metrics = registry }
        #expect(report.succeeded)
        let text = String(decoding: registry.exposition(), as: UTF8.self)
        #expect(text.contains(#"smokeflow_component_sent_events_total{component_id="in",component_kind="source",component_type="memory"} 250"#), "\(text)")
        #expect(text.contains(#"smokeflow_component_received_events_total{component_id="out",component_kind="sink",component_type="file"} 250"#), "\(text)")
        #expect(text.contains("# HELP smokeflow_component_sent_events_total "))
        #expect(text.contains("# TYPE smokeflow_component_sent_events_total counter"))
        #expect(text.contains(#"smokeflow_buffer_events{component_id="out",component_kind="sink",component_type="file",buffer_type="memory"} 0.0"#), "\(text)")
        #expect(!text.contains(#"smokeflow_component_received_events_total{component_id="in""#), "a source receives nothing")
        #expect(text.contains(#"smokeflow_component_sent_bytes_total{component_id="out",component_kind="sink",component_type="file"}"#), "\(text)")
    }

    @Test func aRunWithoutAnEndpointKeepsNoSeries() {
        let counters = StageCounters(metrics: ComponentMetrics(registry: .discarding, id: "x", kind: "sink", type: "file"))
        counters.add(received: 5)
        counters.add(dropped: 2, reason: .bufferFull)
        #expect(MetricsRegistry.discarding.exposition().isEmpty)
        #expect(counters.snapshot == (5, 0, 2))
    }

    @Test func dropsAreCountedByReason() {
        let registry = MetricsRegistry()
        let counters = StageCounters(metrics: ComponentMetrics(registry: registry, id: "rollup", kind: "transform", type: "downsample"))
        counters.add(dropped: 3, reason: .late)
        counters.add(dropped: 4, reason: .late)
        counters.add(dropped: 1, reason: .future)
        counters.add(dropped: 0, reason: .rejected)
        let text = String(decoding: registry.exposition(), as: UTF8.self)
        #expect(text.contains(#"reason="late"} 7"#), "\(text)")
        #expect(text.contains(#"reason="future"} 1"#), "\(text)")
        #expect(!text.contains(#"reason="rejected""#), "\(text)")
    }

    @Test func aSinkFailingPastItsBudgetIsNotReadyUntilAWriteSucceeds() {
        let health = HealthChecks(sinkFailureBudget: .zero)
        let registry = MetricsRegistry()
        let context = StageContext(
            id: "influx", logger: LogCapture().logger,
            counters: StageCounters(metrics: ComponentMetrics(registry: registry, id: "influx", kind: "sink", type: "influx")),
            once: false, health: health)
        let writes = SinkWriteMetrics(context)
        #expect(health.problems().isEmpty)
        writes.retrying(cause: "status_5xx", reason: "HTTP 503: overloaded")
        let problems = health.problems()
        #expect(problems.map(\.name) == ["influx"])
        #expect(problems.first?.reason.contains("HTTP 503: overloaded") == true, "\(problems)")
        writes.succeeded(bytes: 100)
        #expect(health.problems().isEmpty)
        let text = String(decoding: registry.exposition(), as: UTF8.self)
        #expect(text.contains(#"smokeflow_sink_retries_total{component_id="influx",component_kind="sink",component_type="influx",cause="status_5xx"} 1"#), "\(text)")
        #expect(text.contains(#"smokeflow_component_sent_bytes_total{component_id="influx",component_kind="sink",component_type="influx"} 100"#), "\(text)")
    }

    @Test func theProcessSeriesAreReadWhenScraped() {
        let registry = MetricsRegistry()
        ProcessMetrics.register(in: registry, version: "9.9.9")
        let text = String(decoding: registry.exposition(), as: UTF8.self)
        #expect(text.contains(#"smokeflow_build_info{version="9.9.9"} 1"#), "\(text)")
        let rss = text.split(separator: "\n").first { $0.hasPrefix("process_resident_memory_bytes ") }
        let bytes = rss.flatMap { Double($0.split(separator: " ")[1]) } ?? 0
        #expect(bytes > 1_000_000, "\(rss ?? "no RSS line")")
        #expect(text.contains("process_open_fds "), "\(text)")
        #expect(text.contains("process_start_time_seconds "), "\(text)")
    }

    @Test func aBadMetricsAddressIsAnErrorAtItsLine() throws {
        let definition = try PipelineLoader(environment: [:]).load(
            text: "metrics: { address: nowhere }\nsources:\n  a: { type: fixture, path: x }\nsinks:\n  b: { type: stdout, inputs: [a] }\n", file: "p.yaml")
        #expect(throws: ConfigErrors.self) { _ = try RuntimeSettings(definition) }
        do {
            _ = try RuntimeSettings(definition)
        } catch {
            #expect(error.description.contains("p.yaml:1:"), "\(error)")
            #expect(error.description.contains("'nowhere' is not HOST:PORT"), "\(error)")
        }
        let good = try PipelineLoader(environment: [:]).load(
            text: "metrics: { address: '[::1]:9598' }\nsources:\n  a: { type: fixture, path: x }\nsinks:\n  b: { type: stdout, inputs: [a] }\n", file: "p.yaml")
        #expect(try RuntimeSettings(good).metricsAddress == ListenAddress(host: "::1", port: 9598))
    }

    @Test func aMirroredCountGrowsByWhatItsSourceGrewBetweenScrapes() {
        let registry = MetricsRegistry()
        let source = Atomic<Int>(3)
        ComponentMetrics(registry: registry, id: "alerts", kind: "transform", type: "alert")
            .mirror(.alertEdges, "raised") { source.load(ordering: .relaxed) }
        let line = #"smokeflow_alert_edges_total{component_id="alerts",component_kind="transform",component_type="alert",state="raised"}"#
        #expect(String(decoding: registry.exposition(), as: UTF8.self).contains(line + " 3"))
        source.add(4, ordering: .relaxed)
        #expect(String(decoding: registry.exposition(), as: UTF8.self).contains(line + " 7"))
        #expect(String(decoding: registry.exposition(), as: UTF8.self).contains(line + " 7"), "a scrape without news adds nothing")
    }
}
